#!/usr/bin/python3
"""What gatehouse-verifier's verify() costs a Python service on top of PyJWT: verify() against a
bare jwt.decode with a cached key (RS256 pinned, iss, aud, exp with 5 s leeway, the RFC 9068 claims
required; PyJWT has no typ check, so the bare side skips it and is, if anything, favoured), in one
process, in alternating back-to-back rounds (order flipped every round).

1000 distinct RS256 (2048-bit) user tokens with lab claims. The verifier gets discovery and JWKS
over real HTTP from a local server on the first call only, as in production between key refreshes.

    /usr/bin/python3 bench/python-verifier.py [--rounds 20] [--seconds 0.5]

Target (issue 14): verify() at most 10 % slower than the bare decode.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "packages", "verifier-python", "src"))

import cryptography  # noqa: E402
import jwt  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from jwt.algorithms import RSAAlgorithm  # noqa: E402

from gatehouse_verifier import create_verifier  # noqa: E402

AUDIENCE = "https://cms.example"
REQUIRED = ["iss", "aud", "exp", "iat", "sub", "client_id", "jti"]


def serve_keys(public_jwk: dict) -> tuple:
    documents: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = documents.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body or b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    issuer = f"http://127.0.0.1:{server.server_address[1]}"
    documents["/.well-known/openid-configuration"] = json.dumps({"issuer": issuer, "jwks_uri": issuer + "/jwks"}).encode()
    documents["/jwks"] = json.dumps({"keys": [public_jwk]}).encode()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, issuer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=0.5)
    args = parser.parse_args()

    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk = json.loads(RSAAlgorithm.to_jwk(private_key.public_key()))
    public_jwk.update(kid="bench-key", alg="RS256", use="sig")
    server, issuer = serve_keys(public_jwk)
    now = int(time.time())
    tokens = [jwt.encode({"iss": issuer, "aud": AUDIENCE, "sub": str(uuid.uuid4()), "client_id": "portal",
                          "jti": uuid.uuid4().hex, "iat": now, "exp": now + 3600, "scope": "cases:read cases:write",
                          "lab_id": "lab-1", "lab_role": "member", "roles": ["technician"]},
                         private_key, algorithm="RS256", headers={"kid": "bench-key", "typ": "at+jwt"}) for _ in range(1000)]

    verifier = create_verifier(issuer=issuer, audience=AUDIENCE)
    cached_key = RSAAlgorithm.from_jwk(public_jwk)  # the bare side's key: parsed once, kept

    def package(token: str) -> object:
        return verifier.verify(token)

    def bare(token: str) -> object:
        return jwt.decode(token, cached_key, algorithms=["RS256"], audience=AUDIENCE, issuer=issuer, leeway=5,
                          options={"require": REQUIRED})

    # Same answers first: both accept every token, the verifier's claims match the payload.
    for token in tokens[:10]:
        assert package(token)["sub"] == bare(token)["sub"]

    def round_of(fn) -> tuple:
        count, index = 0, 0
        wall0, cpu0 = time.perf_counter(), time.process_time()
        deadline = wall0 + args.seconds
        while time.perf_counter() < deadline:
            for _ in range(50):
                fn(tokens[index])
                index = (index + 1) % len(tokens)
            count += 50
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        return count / wall, cpu / count * 1e6

    round_of(bare), round_of(package)  # warm-up
    rows = []
    for r in range(args.rounds):
        if r % 2 == 0:
            b, p = round_of(bare), round_of(package)
        else:
            p, b = round_of(package), round_of(bare)
        rows.append((b, p))
    server.shutdown()

    bare_ops = statistics.median(b[0] for b, _ in rows)
    package_ops = statistics.median(p[0] for _, p in rows)
    bare_cpu = statistics.median(b[1] for b, _ in rows)
    package_cpu = statistics.median(p[1] for _, p in rows)
    slower = sorted((b[0] / p[0] - 1) * 100 for b, p in rows)  # per-round pairs: how much slower verify() was
    cpu_more = sorted((p[1] / b[1] - 1) * 100 for b, p in rows)
    quart = lambda values: (values[len(values) // 4], values[(3 * len(values)) // 4])  # noqa: E731

    print(f"Python {platform.python_version()}, PyJWT {jwt.__version__}, cryptography {cryptography.__version__}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; {args.rounds} rounds x {args.seconds} s per side")
    print(f"bare jwt.decode (cached key)   {bare_ops:9,.0f} verifications/s   {bare_cpu:6.1f} us CPU each")
    print(f"gatehouse_verifier verify()    {package_ops:9,.0f} verifications/s   {package_cpu:6.1f} us CPU each")
    print(f"ratio verify()/bare throughput {package_ops / bare_ops:.3f}")
    print(f"verify() slower by (median of per-round pairs) {statistics.median(slower):+.1f} % "
          f"(interquartile {quart(slower)[0]:+.1f} ... {quart(slower)[1]:+.1f} %); "
          f"CPU per verification {statistics.median(cpu_more):+.1f} %")
    print("target: at most 10 % slower:", "met" if statistics.median(slower) <= 10 else "NOT met")


if __name__ == "__main__":
    main()
