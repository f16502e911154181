-- Table 4 of the year-3 report, for every cycle (macro standard_table).
{{ standard_table(4) }}
