"""Deterministic sample landing zone for LDIS (organisational-return prong; plain Python).

    from orchestration.sample import generate_landing_zone, Planted
    planted = generate_landing_zone(root, seed=2020, cycles=(2018, 2019, 2020))

See README.md in this folder for what is written and what is planted.
"""

from orchestration.sample.generator import generate_landing_zone
from orchestration.sample.planted import Planted, PlantedFlag, WorkbookRecord

__all__ = ["Planted", "PlantedFlag", "WorkbookRecord", "generate_landing_zone"]
