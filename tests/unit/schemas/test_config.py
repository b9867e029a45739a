"""Config records: what they load from (records written before a field existed) and the
event matching rules they carry."""

from __future__ import annotations

from schemas.config import CONFIG_RECORD, ConversionEvent, CustomField


def test_custom_fields_saved_before_types_load_as_text() -> None:
    field = CONFIG_RECORD.validate_json(
        '{"kind": "custom_field", "id": "fld_1", "account_id": "acc_1", "name": "produto",'
        ' "description": "", "created_at": "2026-01-01T00:00:00Z",'
        ' "updated_at": "2026-01-01T00:00:00Z"}'
    )
    assert isinstance(field, CustomField) and field.type == "text"


def test_events_saved_before_the_case_option_match_exactly() -> None:
    event = CONFIG_RECORD.validate_json(
        '{"kind": "conversion_event", "id": "evt_1", "account_id": "acc_1",'
        ' "integration_id": "int_1", "name": "Compra", "identification": "PURCHASE_APPROVED",'
        ' "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}'
    )
    assert isinstance(event, ConversionEvent) and event.case_insensitive is False
    assert event.matches("PURCHASE_APPROVED") and not event.matches("purchase_approved")


def _event(identification: str, case_insensitive: bool = False) -> ConversionEvent:
    return ConversionEvent(
        id="evt_1",
        account_id="acc_1",
        integration_id="int_1",
        name="e",
        identification=identification,
        case_insensitive=case_insensitive,
    )


def test_matching_and_overlapping_identifications() -> None:
    loose = _event("Purchase_Approved", case_insensitive=True)
    assert loose.matches("PURCHASE_APPROVED") and loose.matches("purchase_approved")
    assert not loose.matches("PURCHASE_APPROVED ")
    exact = _event("PURCHASE_APPROVED")
    assert exact.overlaps(_event("PURCHASE_APPROVED"))
    assert not exact.overlaps(_event("purchase_approved"))  # both exact: distinct values
    assert exact.overlaps(loose) and loose.overlaps(exact)
    assert not exact.overlaps(_event("PURCHASE_REFUNDED", case_insensitive=True))
