"""Lead state as the executors keep it on ``hookline.leads``."""

from __future__ import annotations

from schemas.leads import LeadState


def test_leads_stored_before_profiles_existed_load_with_none() -> None:
    lead = LeadState.model_validate_json(
        '{"account_id": "acc_1", "phone": "+5511999990000", "name": "Ana", "tags": ["vip"],'
        ' "fields": {"produto": "Curso"}, "applied": ["c1"],'
        ' "updated_at": "2026-01-01T00:00:00Z", "version": 3}'
    )
    assert lead.profile == {} and lead.fields == {"produto": "Curso"} and lead.applied == ["c1"]
    copy = lead.editable_copy()
    copy.profile["email"] = "ana@loja.com"
    assert lead.profile == {}
