"""`python -m op_trading.sandbox`: run the Kite Connect sandbox in the foreground until Ctrl-C.

Defaults come from the project's settings (SIMULATOR_PORT, SIMULATOR_SEED, SIMULATOR_SPEED, SIMULATOR_FAULTS,
KITE_REDIRECT_URL) when they load, else from the built-in defaults; options override both. This module is an entry
point, so it prints.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from op_trading.sandbox.faults import parse_faults


def _setting_defaults() -> dict:
    defaults = {"port": 8765, "seed": 42, "speed": 1.0, "faults": "", "redirect_url": "http://127.0.0.1:5000/success"}
    try:
        from op_trading.config.settings import load_settings

        settings = load_settings()
        for key, name in (("port", "SIMULATOR_PORT"), ("seed", "SIMULATOR_SEED"), ("speed", "SIMULATOR_SPEED"),
                          ("faults", "SIMULATOR_FAULTS"), ("redirect_url", "KITE_REDIRECT_URL")):
            if settings.get(name) not in (None, ""):
                defaults[key] = settings[name]
    except Exception:  # a broken .env must not stop the simulator; the built-in defaults apply
        pass
    return defaults


def _faults(text: str) -> str:
    try:
        parse_faults(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def build_parser(defaults: dict) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m op_trading.sandbox",
                                     description="Local Kite Connect v3 sandbox with a seeded market (mock data).")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=defaults["port"], help="port (0 = any free port)")
    parser.add_argument("--seed", type=int, default=defaults["seed"], help="market seed: same seed, same market")
    parser.add_argument("--speed", type=float, default=defaults["speed"], help="simulated seconds per real second")
    parser.add_argument("--start-at", default=None, help="simulated start time, IST, e.g. '2026-11-20 09:15'")
    parser.add_argument("--no-rate-limits", action="store_true", help="do not enforce Kite's rate limits")
    parser.add_argument("--faults", type=_faults, default=defaults["faults"],
                        help="fault injection, e.g. '429_burst=3,error_rate=0.1,slow_ms=200'")
    parser.add_argument("--redirect-url", default=defaults["redirect_url"], help="where the login page redirects")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser(_setting_defaults()).parse_args(argv)
    from op_trading.sandbox.server import Sandbox

    try:
        sandbox = Sandbox(host=args.host, port=args.port, seed=args.seed, speed=args.speed,
                          rate_limits=not args.no_rate_limits, faults=args.faults, start_at=args.start_at,
                          redirect_url=args.redirect_url).start()
    except (OSError, ValueError) as error:
        print(f"Cannot start the sandbox: {error}", file=sys.stderr)
        return 1
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    print(f"Kite Connect sandbox (MOCK DATA) listening on {sandbox.url}")
    print(f"  api_key    {sandbox.api_key}")
    print(f"  api_secret {sandbox.api_secret}")
    print(f"  clock      {sandbox.clock.now():%Y-%m-%d %H:%M:%S} IST, speed {sandbox.clock.speed:g}x")
    limits = "on" if sandbox.limiter.enabled else "off"
    print(f"  faults     {sandbox.faults.spec.text() or 'none'}; rate limits {limits}")
    print("Put these in .env:")
    print(f"  KITE_API_KEY={sandbox.api_key}\n  KITE_API_SECRET={sandbox.api_secret}")
    print(f"  KITE_API_ROOT={sandbox.url}\n  KITE_LOGIN_URL={sandbox.login_url}")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        while not stopped.wait(0.5):
            pass
        code = 0
    except KeyboardInterrupt:
        code = 130
    sandbox.stop()
    print("Sandbox stopped.", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
