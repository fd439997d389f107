"""The fictional codes the upgrade probes give the cases they write through historical
models (every schema since the first has these columns)."""

UPGRADE_CASE_CODES = {
    "primary_category": "detention",
    "year": 2019,
    "province_china": "jilin",
    "province_origin": "north_hamgyong",
    "gender": "female",
    "age_band": "18-24",
    "time_in_china": "1-3y",
    "current_status": "in_china",
    "source_proximity": "victim",
}
