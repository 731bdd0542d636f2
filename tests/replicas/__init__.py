"""Offline replicas of the sites newswatch crawls, served by ``tests.replicas.server.ReplicaServer``."""
