"""The review API under ``/v1`` and the live review page under ``/ui``.

Served by ``review-bot serve`` beside the webhook, on the same ASGI app (mounted by
:func:`review_bot.service.app.create_app`). See :mod:`.app` for the assembly, :mod:`.routes`
and :mod:`.live` for the endpoints, :mod:`.auth` / :mod:`.keys` for who may call, and
:mod:`.quotas` for how much.
"""

from review_bot.service.api.app import ApiParts, build_api, create_api

__all__ = ["ApiParts", "build_api", "create_api"]
