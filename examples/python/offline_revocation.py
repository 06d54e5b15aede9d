"""Refusing revoked tokens offline (docs/INTEGRATION.md, "Revocation without a call per request"):
a daemon thread follows Gatehouse's event feed, and the verifier refuses a revoked token, an ended
session's or a blocked user's tokens within about a second, with no call to Gatehouse per request."""
from __future__ import annotations

from typing import Any, Optional

from gatehouse_verifier import (IntrospectionOptions, Revocations, Verifier, client_credentials_token,
                                create_revocation_feed, create_verifier)


def verifier_honouring_revocations(issuer: str, audience: str, feed_client_id: str, feed_client_secret: str,
                                   introspection: Optional[IntrospectionOptions] = None, **feed_options: Any) -> Verifier:
    # The feed client is a service client allowed the events:read scope on Gatehouse's API.
    feed = create_revocation_feed(
        issuer=issuer,
        access_token=client_credentials_token(issuer=issuer, client_id=feed_client_id, client_secret=feed_client_secret,
                                              resource=f"{issuer}/api", scope="events:read"),
        max_token_lifetime_seconds=3600,  # the longest access_token_ttl of your resources
        **feed_options,
    )
    feed.start()  # reads back one token lifetime, then follows every second in a daemon thread
    # Gatehouse unreachable for longer than stale_after_ms (30 s): refuse with 503, or with the
    # service's own client, ask Gatehouse per token (introspection) until the feed catches up.
    when_stale = "introspect" if introspection is not None else "fail"
    return create_verifier(issuer=issuer, audience=audience, introspection=introspection,
                           revocations=Revocations(feed, when_stale=when_stale))
