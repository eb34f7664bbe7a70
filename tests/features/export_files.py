"""Tiny hand-written CRM exports for the ingest / quality-gate tests."""

from __future__ import annotations

import json
from pathlib import Path

AS_OF = "2026-06-30"

CUSTOMERS = """customer_id,company_name,industry,region,segment,created_at
00101,ABC公司,制造业,北京,b2b,2024-01-10
00102,ABC Co. Ltd.,Manufacturing,Beijing,b2b,2023-05-01
00103,华信科技有限公司,软件,上海市,b2b,2024-03-01
00104,Huaxin Technology Co. Ltd.,Software,shanghai,b2b,2024-03-02
00105,张伟,,广东省,b2c,2025-01-01
00106,张伟,,广东,b2c,2025-02-01
"""

ORDERS = """order_id,customer_id,order_date,amount,product_category,status
O1,00101,2026-01-05,"1,200.50",A,paid
O2,00102,2026-02-01,300,A,Paid
O3,00103,2026-03-01,¥80,B,paid
O4,00104,2026-07-02,50,B,paid
O5,00105,2026-04-01,-20,A,refunded
O6,99999,2026-04-02,10,A,paid
O7,00106,2026-06-30T20:00:00Z,15,A,paid
"""

LEADS = """lead_id,created_at,source,company_name,status,converted_at,customer_id
L1,2026-01-01,web,新公司,open,,
L2,2026-02-01,fair,旧公司,converted,2026-07-15,00101
L3,2026-03-01,web,某公司,converted,2026-04-01,77777
"""

TICKETS = """ticket_id,customer_id,opened_at,closed_at,priority,satisfaction
T1,00101,2026-05-01,2026-07-03,high,4
T2,00103,2026-05-02,2026-05-03,low,9
"""

SUBSCRIPTIONS = """subscription_id,customer_id,plan,start_date,end_date,monthly_fee,cancelled_at
S1,00101,pro,2025-01-01,2027-01-01,100,
S2,00103,basic,2025-06-01,2026-12-31,-5,2026-08-01
"""

ACTIVITIES = """activity_id,customer_id,lead_id,activity_date,channel
A1,00102,,2026-06-01,电话
A2,,L1,2026-06-02,email
A3,,,2026-06-03,visit
A4,,L9,2026-06-04,call
"""


def write_export(
    folder: Path, files: dict[str, str | bytes], *, as_of: str | None = AS_OF
) -> Path:
    """Write ``name -> CSV text (UTF-8) or raw bytes`` into ``folder`` plus export.json."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if as_of:
        (folder / "export.json").write_text(json.dumps({"as_of": as_of}), encoding="utf-8")
    return folder


def full_export(folder: Path) -> Path:
    return write_export(
        folder,
        {
            "customers.csv": CUSTOMERS,
            "orders.csv": ORDERS,
            "leads.csv": LEADS,
            "tickets.csv": TICKETS,
            "subscriptions.csv": SUBSCRIPTIONS,
            "activities.csv": ACTIVITIES,
        },
    )
