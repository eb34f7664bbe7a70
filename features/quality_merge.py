"""One customer, one id: duplicate companies are merged before any feature is built.

Customers whose normalised company names cluster together
(:func:`features.names.cluster_companies`) become the oldest of them (earliest ``created_at``,
then the smallest id as text); every ``customer_id`` in every table is rewritten to that
canonical id. A B2C customer whose name key
has 3 characters or fewer is never merged by name: two people called 张伟 are two customers.
"""

from __future__ import annotations

import pandas as pd

from features.contract import TABLES
from features.findings import Findings
from features.names import cluster_company_keys, normalize_company_names
from features.quality_checks import isin

MAX_CLUSTERS_LISTED = 500


def derive_customers(tables: dict[str, pd.DataFrame], findings: Findings) -> None:
    """An export without ``customers``: customers are the ids the other tables mention."""
    ids = [df["customer_id"] for name, df in tables.items() if "customer_id" in df.columns
           and name != "leads"]  # fmt: skip
    if not ids or "orders" not in tables:
        return
    known = pd.unique(pd.concat(ids, ignore_index=True).dropna())
    columns = {}
    for col in TABLES["customers"].columns:
        dtype = {"date": "datetime64[us]", "number": "float64"}.get(col.kind, "str")
        columns[col.name] = pd.Series(None, index=range(len(known)), dtype=dtype)
    customers = pd.DataFrame(columns)
    customers["customer_id"] = pd.Series(known, dtype="str")
    tables["customers"] = customers
    findings.warn("derived_customers", f"no customers table: {len(known)} customers derived from "
                  "the customer ids in orders and other tables, with missing attributes "
                  "(industry, region, segment, ...)", table="customers",
                  count=len(known), action="derived")  # fmt: skip


def merge_duplicate_customers(
    tables: dict[str, pd.DataFrame], findings: Findings, *, threshold: float
) -> tuple[dict[str, str], list[dict]]:
    """Merge duplicate companies; returns the merge map (raw -> canonical) and the clusters."""
    customers = tables.get("customers")
    if customers is None or customers["company_name"].isna().all():
        return {}, []
    # A B2C "company name" of 2-3 characters is a person's name (张伟): never merged on it.
    b2c = (customers["segment"] == "b2c").fillna(False)
    keys = normalize_company_names(customers["company_name"])
    short = keys.str.len().fillna(0) <= 3
    eligible = customers["company_name"].notna() & ~(b2c & short)
    pool = customers[eligible]
    labels = cluster_company_keys(keys[eligible], threshold=threshold)
    sizes = labels.map(labels.value_counts())
    dup = pool[(sizes > 1).to_numpy()].assign(_cluster=labels[sizes > 1].to_numpy())
    if dup.empty:
        return {}, []
    ordered = dup.sort_values(["_cluster", "created_at", "customer_id"], na_position="last")
    canonical = ordered.groupby("_cluster", sort=False)["customer_id"].first()
    raw_to_canon = pd.Series(dup["_cluster"].map(canonical).to_numpy(), index=dup["customer_id"])
    merge_map = {raw: canon for raw, canon in raw_to_canon.items() if raw != canon}
    # The canonical row keeps its own attributes; gaps are filled from the other members.
    merged = ordered.groupby("_cluster", sort=False).first().reset_index(drop=True)
    merged = merged[customers.columns].astype(customers.dtypes.to_dict())
    rest = customers[~isin(customers["customer_id"], dup["customer_id"])]
    tables["customers"] = pd.concat([rest, merged], ignore_index=True)
    rewrite_customer_ids(tables, merge_map)
    clusters = []
    for n, (cid, group) in enumerate(ordered.groupby("_cluster", sort=False)):
        if n >= MAX_CLUSTERS_LISTED:
            break
        clusters.append({"cluster": n + 1, "canonical": canonical[cid],
                         "ids": group["customer_id"].tolist(),
                         "names": group["company_name"].tolist()})  # fmt: skip
    findings.warn("duplicate_company", f"{len(merge_map)} duplicate customers merged into "
                  f"{len(canonical)} (same company by normalised name, threshold {threshold:g}); "
                  "customer ids rewritten in every table", table="customers",
                  column="company_name", count=len(merge_map), action="merged")  # fmt: skip
    return merge_map, clusters


def rewrite_customer_ids(tables: dict[str, pd.DataFrame], merge_map: dict[str, str]) -> None:
    """Replace raw customer ids by canonical ones in every table that has ``customer_id``."""
    if not merge_map:
        return
    lookup = pd.Series(merge_map, dtype="str")
    for name, df in tables.items():
        if name == "customers" or "customer_id" not in df.columns:
            continue
        ids = df["customer_id"]
        hit = isin(ids, pd.Series(lookup.index))
        if hit.any():
            df.loc[hit, "customer_id"] = ids[hit].map(lookup)
