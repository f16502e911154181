"""How one figure is written into a published file: the disclosure policy by source and unit,
the trust's own answer, and the guard against another trust's rows."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from orchestration.lib import trust_reports
from orchestration.lib.published_figures import disclosed_trust_value, trust_figure_text
from orchestration.lib.svg_charts import PeerPosition, peer_positions_svg, trend_svg


def figure(**overrides) -> dict:
    row = {"org_code": "RX1", "source": "org_return_activity", "kind": "pooled_rate", "unit": "percent",
           "numerator": Decimal(12), "denominator": Decimal(40), "value": 30.0, "valid_responses": None,
           "publishable": True}
    return {**row, **overrides}


def test_rate_with_a_numerator_of_3_is_suppressed_and_one_of_12_is_shown() -> None:
    assert disclosed_trust_value(figure(numerator=Decimal(3), value=7.5)) == "*"
    assert disclosed_trust_value(figure()) == 30.0


def test_survey_percentage_needs_10_valid_responses() -> None:
    survey = {"source": "staff_survey", "kind": "share", "numerator": Decimal(8), "denominator": Decimal(9),
              "value": 88.9, "valid_responses": 9}
    assert disclosed_trust_value(figure(**survey)) == "*"
    assert disclosed_trust_value(figure(**{**survey, "numerator": Decimal(9), "denominator": Decimal(10),
                                           "valid_responses": 10, "value": 90.0})) == 90.0


def test_restraint_rate_needs_100_bed_days() -> None:
    rate = {"unit": "per_1000", "numerator": Decimal(20), "denominator": Decimal(99), "value": 202.0}
    assert disclosed_trust_value(figure(**rate)) == "*"
    assert disclosed_trust_value(figure(**{**rate, "denominator": Decimal(400), "value": 50.0})) == 50.0


def test_a_yes_no_answer_is_shown_as_the_answer() -> None:
    answer = {"source": "org_return", "kind": "share", "numerator": Decimal(1), "denominator": Decimal(1)}
    assert trust_figure_text(figure(**answer, value=100.0)) == "true of your trust"
    assert trust_figure_text(figure(**answer, value=0.0)) == "not true of your trust"
    assert trust_figure_text(figure(**answer, value=None)) == "no answer counted"


def test_report_refuses_rows_of_another_trust() -> None:
    with pytest.raises(ValueError, match="another trust"):
        trust_reports.report_context("RX1", 2020, [figure(org_code="RX2", cycle_year=2020)], [])


def test_charts_are_well_formed_svg_and_escape_text() -> None:
    peers = peer_positions_svg([PeerPosition("A <b>", 10, 20, 30, 25, 22, 100),
                                PeerPosition("B", 1, 2, 3, None, None, 5)])
    trend = trend_svg([2018, 2019, 2020], {"Standard 1": [50.0, None, 75.0]})
    for svg in (peers, trend):
        root = ET.fromstring(svg)
        assert root.tag.endswith("svg")
    assert "A &lt;b&gt;" in peers
    assert peers.count("<polygon") == 1  # the suppressed trust figure is not drawn
