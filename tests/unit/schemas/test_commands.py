"""Command ids (schemas/commands.py): derived from the delivery and the action, never
anything else, so a command already on the topic keeps its id when its webhook runs again."""

from __future__ import annotations

import hashlib

from schemas.commands import command_id_for, command_ids_for


def test_a_command_id_is_the_hash_of_integration_delivery_and_action() -> None:
    expected = hashlib.sha256(b"int_1\x00hotmart-ea409c21\x00act_7").hexdigest()[:32]
    assert command_id_for("int_1", "hotmart-ea409c21", "act_7") == expected
    assert expected == "5eb5eef4b81015dde213114ba5a3b9ef"  # ids on the topic: never change
    ids = command_ids_for("int_1", "hotmart-ea409c21")
    assert [ids("act_7"), ids("act_8"), ids("act_7")] == [
        expected,
        command_id_for("int_1", "hotmart-ea409c21", "act_8"),
        expected,
    ]
    assert (
        command_id_for("int_1", "sha256:ção", "act_ü")
        == (hashlib.sha256("int_1\x00sha256:ção\x00act_ü".encode()).hexdigest()[:32])
    )
