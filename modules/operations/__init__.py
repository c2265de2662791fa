"""Operations: what the commands do with the tiers (synthesize, export, apply, review, check).

Only `synthesis` and `export` build tiers (and so load the AWS bindings); every
other operation works on the synthesized output and the tier vocabulary
(configuration/topology.py), so it starts in a fraction of a second.
"""
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
