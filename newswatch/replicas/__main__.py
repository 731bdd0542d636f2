"""``python -m newswatch.replicas [SITE ...]``: keep replica sites running on loopback until Ctrl-C.

For a look in the browser or a hand-made crawl: point a source's ``base_url`` at the printed address
(``[sources.<key>] base_url = "..."`` in newswatch.toml). Every site runs on its own free port.

Example::

    python -m newswatch.replicas              # every site
    python -m newswatch.replicas osce tdi     # just these two
"""

from __future__ import annotations

import argparse
import threading

from . import running_sites, site_names


def main(argv: list[str] | None = None) -> int:
    names = site_names()
    parser = argparse.ArgumentParser(prog="python -m newswatch.replicas", description=__doc__.split("\n")[0])
    parser.add_argument("sites", nargs="*", metavar="SITE", help=f"default: all of {', '.join(names)}")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.sites) - set(names))
    if unknown:
        parser.error(f"no replica for {', '.join(unknown)} (known: {', '.join(names)})")
    with running_sites(args.sites or names) as urls:
        for key, url in urls.items():
            print(f"{key:<12} {url}", flush=True)
        print("replicas running; Ctrl-C stops them", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopping", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
