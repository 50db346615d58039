"""What one review spent on the model, per agent, and whether it may spend more."""

from __future__ import annotations

from dataclasses import dataclass, field

from review_bot.errors import BudgetExhausted

__all__ = ["AgentUsage", "BudgetExhausted", "UsageLedger"]


@dataclass
class AgentUsage:
    """Counters of one agent role across the review."""

    llm_calls: int = 0
    cached_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0

    def as_stats(self) -> dict[str, int | float]:
        """JSON-ready counters."""
        return {
            "llm_calls": self.llm_calls,
            "cache_hits": self.cached_calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": round(self.cost_usd, 6),
        }


@dataclass
class UsageLedger:
    """Per-review usage and the caps that bound it (shared by every agent's client).

    Cached answers count as calls served from the cache, not as spent tokens: the review did
    not pay for them and they do not use up the budget.

    Args:
        token_budget: prompt plus completion tokens the review may spend.
        turn_cap: model calls the review may make.
        prompt_price_per_mtok: USD per million prompt tokens.
        completion_price_per_mtok: USD per million completion tokens.
    """

    token_budget: int
    turn_cap: int
    prompt_price_per_mtok: float = 0.0
    completion_price_per_mtok: float = 0.0
    agents: dict[str, AgentUsage] = field(default_factory=dict)
    _reserved: int = 0

    @property
    def llm_calls(self) -> int:
        """Model calls made (not served from the cache)."""
        return sum(a.llm_calls for a in self.agents.values())

    @property
    def tokens(self) -> int:
        """Prompt plus completion tokens spent."""
        return sum(a.prompt_tokens + a.completion_tokens for a in self.agents.values())

    def exhausted(self) -> str | None:
        """Why no further call may be made, or None while there is budget left."""
        if self.tokens >= self.token_budget:
            return f"token budget of {self.token_budget} tokens per review is spent"
        if self.llm_calls + self._reserved >= self.turn_cap:
            return f"turn cap of {self.turn_cap} model calls per review is reached"
        return None

    def reserve(self) -> None:
        """Claim one call slot before calling; raise BudgetExhausted when none is left."""
        reason = self.exhausted()
        if reason is not None:
            raise BudgetExhausted(f"{reason}: raise the model's token_budget/turn_cap to go on")
        self._reserved += 1

    def release(self) -> None:
        """Give back a slot claimed by :meth:`reserve` (the call finished or failed)."""
        self._reserved = max(0, self._reserved - 1)

    def record(self, agent: str, prompt_tokens: int, completion_tokens: int, cached: bool) -> float:
        """Add one answer's usage to ``agent``; returns its estimated cost in USD."""
        usage = self.agents.setdefault(agent, AgentUsage())
        if cached:
            usage.cached_calls += 1
            return 0.0
        cost = (
            prompt_tokens * self.prompt_price_per_mtok
            + completion_tokens * self.completion_price_per_mtok
        ) / 1_000_000
        usage.llm_calls += 1
        usage.prompt_tokens += prompt_tokens
        usage.completion_tokens += completion_tokens
        usage.cost_usd += cost
        return cost

    def stats(self) -> dict[str, object]:
        """Keys that merge into ReviewStats (totals plus ``per_agent``)."""
        totals = AgentUsage()
        for usage in self.agents.values():
            totals.llm_calls += usage.llm_calls
            totals.cached_calls += usage.cached_calls
            totals.prompt_tokens += usage.prompt_tokens
            totals.completion_tokens += usage.completion_tokens
            totals.cost_usd += usage.cost_usd
        return {
            "llm_calls": totals.llm_calls,
            "prompt_tokens": totals.prompt_tokens,
            "completion_tokens": totals.completion_tokens,
            "cost_usd": round(totals.cost_usd, 6),
            "llm_cache_hits": totals.cached_calls,
            "per_agent": {name: u.as_stats() for name, u in sorted(self.agents.items())},
        }
