"""The send path every channel shares (actions/sending.py): asking again only when the
provider proves it did not take the message, with backoff and Retry-After, until the
give-up time; the template fallback; remembering refused credentials. A fake clock."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from actions.channels.base import Delivery
from actions.sending import Sender
from schemas.actions import Outgoing, WhatsAppTemplate
from schemas.channels import EvolutionSettings, RecordingSettings
from schemas.commands import ActionCommand
from schemas.leads import LeadState
from tests.unit.actions.channels.test_whatsapp_cloud import COMMAND
from tests.unit.actions.test_pacing import Clock

LEAD = LeadState(account_id="acc_1", phone="+5511988887777")


@dataclass
class Scripted:
    """A channel answering from a script (the last answer repeats)."""

    answers: list[Delivery]
    templates: list[Delivery] = field(default_factory=list)
    name: str = "scripted"
    calls: list[str] = field(default_factory=list)

    async def send(self, command: ActionCommand, outgoing: Outgoing, lead: LeadState) -> Delivery:
        self.calls.append(outgoing.content)
        return self.answers[min(len(self.calls), len(self.answers)) - 1]


@dataclass
class WithTemplates(Scripted):
    async def send_template(
        self, command: ActionCommand, template: WhatsAppTemplate, lead: LeadState
    ) -> Delivery:
        self.calls.append(f"template:{template.name}")
        n = sum(c.startswith("template:") for c in self.calls)
        return self.templates[min(n, len(self.templates)) - 1]


def _sender(clock: Clock, give_up: float = 30.0) -> Sender:
    return Sender(give_up, clock=clock, sleep=clock.sleep)


async def test_a_5xx_is_asked_again_until_it_is_taken() -> None:
    clock = Clock()
    channel = Scripted([Delivery.failed("retryable", "HTTP 503")] * 2 + [Delivery.sent("w.1")])
    delivery = await _sender(clock).deliver(channel, COMMAND, Outgoing("text", "Oi"), LEAD)
    assert delivery == Delivery.sent("w.1") and len(channel.calls) == 3
    # Exponential backoff with jitter: 0.5 s then 1 s, plus up to 0.5 s each.
    assert 1.5 <= clock.now - 100.0 <= 2.5


async def test_retry_after_is_honoured() -> None:
    clock = Clock()
    channel = Scripted([Delivery.failed("rate_limited", "429", retry_after=7), Delivery.sent()])
    await _sender(clock).deliver(channel, COMMAND, Outgoing("text", "Oi"), LEAD)
    assert len(channel.calls) == 2 and clock.now - 100.0 >= 7


async def test_it_gives_up_with_the_last_reason() -> None:
    clock = Clock()
    channel = Scripted([Delivery.failed("rate_limited", "HTTP 429")])
    sender = _sender(clock, give_up=30)
    delivery = await sender.deliver(channel, COMMAND, Outgoing("text", "Oi"), LEAD)
    assert delivery.verdict == "rate_limited" and delivery.status == "failed"
    assert delivery.detail.startswith(f"gave up after {len(channel.calls)} attempts")
    assert clock.now - 100.0 < 30 and len(channel.calls) >= 4


async def test_a_retry_after_beyond_the_give_up_time_gives_up_at_once() -> None:
    clock = Clock()
    channel = Scripted([Delivery.failed("rate_limited", "slow down", retry_after=3600)])
    delivery = await _sender(clock).deliver(channel, COMMAND, Outgoing("text", "Oi"), LEAD)
    assert delivery.verdict == "rate_limited" and len(channel.calls) == 1 and clock.now == 100.0


@pytest.mark.parametrize("verdict", ["unknown", "fatal", "auth", "invalid_recipient"])
async def test_final_answers_are_never_asked_again(verdict: str) -> None:
    clock = Clock()
    channel = Scripted([Delivery.failed(verdict, "x"), Delivery.sent()])  # type: ignore[arg-type]
    delivery = await _sender(clock).deliver(channel, COMMAND, Outgoing("text", "Oi"), LEAD)
    assert delivery.verdict == verdict and len(channel.calls) == 1


async def test_a_closed_window_sends_the_fallback_template() -> None:
    clock = Clock()
    channel = WithTemplates([Delivery.failed("window_closed", "131047")], [Delivery.sent("w.t")])
    outgoing = Outgoing("text", "Oi", fallback=WhatsAppTemplate("oi_de_novo", "pt_BR", ("Ana",)))
    delivery = await _sender(clock).deliver(channel, COMMAND, outgoing, LEAD)
    assert delivery.verdict == "sent" and delivery.provider_message_id == "w.t"
    assert "window closed; template 'oi_de_novo'" in delivery.detail
    assert channel.calls == ["Oi", "template:oi_de_novo"]


async def test_a_closed_window_without_a_fallback_fails_so() -> None:
    clock = Clock()
    channel = WithTemplates([Delivery.failed("window_closed", "131047")], [Delivery.sent()])
    delivery = await _sender(clock).deliver(channel, COMMAND, Outgoing("text", "Oi"), LEAD)
    assert delivery.verdict == "window_closed" and channel.calls == ["Oi"]
    # A channel that cannot send templates says so.
    plain = Scripted([Delivery.failed("window_closed", "closed")])
    outgoing = Outgoing("text", "Oi", fallback=WhatsAppTemplate("t"))
    delivery = await _sender(clock).deliver(plain, COMMAND, outgoing, LEAD)
    assert delivery.verdict == "window_closed" and "no templates" in delivery.detail


async def test_the_fallback_template_is_asked_again_too() -> None:
    clock = Clock()
    channel = WithTemplates(
        [Delivery.failed("window_closed", "131047")],
        [Delivery.failed("retryable", "503"), Delivery.sent("w.t")],
    )
    outgoing = Outgoing("text", "Oi", fallback=WhatsAppTemplate("t"))
    delivery = await _sender(clock).deliver(channel, COMMAND, outgoing, LEAD)
    assert delivery.verdict == "sent" and channel.calls == ["Oi", "template:t", "template:t"]


def test_refused_credentials_stop_the_account_until_its_channel_changes() -> None:
    sender = _sender(Clock())
    assert sender.refusal("acc_1", "v1") is None
    sender.remember("acc_1", "v1", Delivery.failed("auth", "HTTP 401, code 190: expired"))
    refusal = sender.refusal("acc_1", "v1")
    assert refusal is not None and refusal.verdict == "auth" and "code 190" in refusal.detail
    assert sender.refusal("acc_2", "v1") is None
    assert sender.refusal("acc_1", "v2") is None  # the channel was changed
    sender.remember("acc_1", "v2", Delivery.sent())
    assert sender.refusal("acc_1", "v2") is None


async def test_recording_is_not_paced() -> None:
    clock = Clock()
    sender = _sender(clock)
    for _ in range(5):
        assert await sender.pace("acc_1", "+5511900000000", RecordingSettings()) == 0.0
    slow = EvolutionSettings(
        type="evolution", base_url="http://evo", instance="i", api_key="k", messages_per_second=1
    )
    waits = [await sender.pace("acc_1", "+55119000000{n}", slow) for n in range(3)]
    assert waits == [0.0, 1.0, 1.0]


async def test_a_process_paces_an_account_at_its_share_of_the_rate() -> None:
    """Two worker processes, four of eight partitions each: together, the account's rate."""
    clock = Clock()
    sender = _sender(clock)
    slow = EvolutionSettings(
        type="evolution", base_url="http://evo", instance="i", api_key="k", messages_per_second=1
    )
    waits = [await sender.pace("acc_1", f"+55119000000{n}", slow, share=0.5) for n in range(3)]
    assert waits == [0.0, 2.0, 2.0]
