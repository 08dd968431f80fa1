"""稀金图谱 analysis: pure functions over the registry graph (networkx).

Build the graph with :func:`build_graph` from the store's rows, then ask:

- coverage of every chain segment: :func:`chain_coverage`, :func:`segment_coverage`;
- gaps, each with a title, a reason and the facts behind it as messages:
  :func:`segment_gaps`, :func:`upstream_gaps`, :func:`dependence_gaps`,
  :func:`cut_point_gaps`, :func:`bridge_gaps`, :func:`capability_gaps`,
  :func:`data_gaps` (the data to-do list, not in the gap report), :func:`target_gaps`, :func:`all_gaps`,
  :func:`find_gap`; one gap per plan-named need with its sub-segments as parts: :func:`merge_needs`,
  :func:`resolve_gap_id`;
- plan targets: :func:`target_progress`;
- what if a firm leaves: :func:`departure_impact`;
- candidates to fill a gap: :func:`candidates_for_gap`;
- network measures: :func:`degree_summary`, :func:`betweenness`, :func:`pagerank`,
  :func:`communities`, :func:`network_measures`, :func:`entity_measures`,
  :func:`shortest_path`, :func:`neighbourhood`;
- the whole report: :func:`gap_report` (its text for the CLI is ``xijin.report_text``).

Nothing here imports Flask or a database driver; results are plain dicts
and lists in a deterministic order.  Results hold codes, ids, numbers and
*messages* (``{"msg": id, "params": {...}}``), never sentences: the words are
in the gettext catalogue, and ``registry.messages.localise(result)`` spells
every message out in Chinese and English (``title`` becomes ``title_zh`` and
``title_en``; a fact or a candidate reason gains ``zh`` and ``en``).
"""

from .build import build_graph
from .candidates import CANDIDATE_FORMULA, candidates_for_gap, chain_index
from .coverage import SCORE_FORMULA, chain_coverage, coverage_score, segment_coverage
from .errors import EntityNotFound, GapNotFound, GraphError, InvalidGraphData, InvalidOption
from .gaps import LACK_WORDS, capability_gaps, data_gaps, merge_needs, segment_gaps, upstream_gaps
from .measures import (betweenness, business_network, communities, degree_summary, entity_measures,
                       neighbourhood, network_measures, pagerank, shortest_path)
from .report import CATEGORIES, all_gaps, find_gap, gap_report, resolve_gap_id
from .supply import bridge_gaps, cut_point_gaps, departure_impact, dependence_gaps, supply_cut_structure
from .targets import target_gaps, target_progress

__all__ = [
    "build_graph",
    "chain_coverage", "segment_coverage", "coverage_score", "SCORE_FORMULA",
    "segment_gaps", "upstream_gaps", "capability_gaps", "data_gaps", "merge_needs", "LACK_WORDS",
    "dependence_gaps", "cut_point_gaps", "bridge_gaps", "supply_cut_structure", "departure_impact",
    "target_progress", "target_gaps",
    "candidates_for_gap", "chain_index", "CANDIDATE_FORMULA",
    "business_network", "degree_summary", "betweenness", "pagerank", "communities", "network_measures",
    "entity_measures", "shortest_path", "neighbourhood",
    "gap_report", "all_gaps", "find_gap", "resolve_gap_id", "CATEGORIES",
    "GraphError", "EntityNotFound", "GapNotFound", "InvalidGraphData", "InvalidOption",
]
