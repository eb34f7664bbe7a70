"""Chinese file names and headers of the ``--locale zh`` export, and its column mapping.

``examples/mappings/zh.yaml`` is this mapping as shipped to users; a test keeps the two equal.
Values stay canonical in both locales (paid/refunded, call/email...), only headers change.
"""

from __future__ import annotations

import yaml

# canonical table -> (file stem, {canonical column: Chinese header})
ZH_TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "customers": (
        "客户",
        {
            "customer_id": "客户编号",
            "company_name": "客户名称",
            "industry": "所属行业",
            "region": "地区",
            "city": "城市",
            "company_size": "公司规模",
            "segment": "客户类型",
            "created_at": "创建日期",
            "owner_id": "负责人",
            "gender": "性别",
            "birth_year": "出生年份",
            "age_band": "年龄段",
        },
    ),
    "contacts": (
        "联系人",
        {
            "contact_id": "联系人编号",
            "customer_id": "客户编号",
            "full_name": "姓名",
            "title": "职位",
            "email": "邮箱",
            "phone": "电话",
            "is_decision_maker": "是否决策人",
        },
    ),
    "orders": (
        "订单",
        {
            "order_id": "订单编号",
            "customer_id": "客户编号",
            "order_date": "下单日期",
            "amount": "订单金额",
            "product_category": "产品类别",
            "status": "订单状态",
        },
    ),
    "subscriptions": (
        "订阅",
        {
            "subscription_id": "订阅编号",
            "customer_id": "客户编号",
            "plan": "套餐",
            "start_date": "开始日期",
            "end_date": "结束日期",
            "monthly_fee": "月费",
            "cancelled_at": "取消日期",
        },
    ),
    "activities": (
        "跟进记录",
        {
            "activity_id": "跟进编号",
            "customer_id": "客户编号",
            "lead_id": "线索编号",
            "activity_date": "跟进时间",
            "channel": "跟进方式",
            "direction": "方向",
            "outcome": "跟进结果",
        },
    ),
    "tickets": (
        "工单",
        {
            "ticket_id": "工单编号",
            "customer_id": "客户编号",
            "opened_at": "提交日期",
            "closed_at": "关闭日期",
            "priority": "优先级",
            "category": "问题类别",
            "satisfaction": "满意度",
        },
    ),
    "leads": (
        "线索",
        {
            "lead_id": "线索编号",
            "created_at": "创建日期",
            "source": "线索来源",
            "company_name": "公司名称",
            "industry": "所属行业",
            "region": "地区",
            "company_size": "公司规模",
            "job_title": "职位",
            "owner_id": "负责人",
            "status": "线索状态",
            "converted_at": "转化日期",
            "customer_id": "客户编号",
        },
    ),
    "campaign_events": (
        "营销事件",
        {
            "event_id": "事件编号",
            "customer_id": "客户编号",
            "lead_id": "线索编号",
            "event_time": "事件时间",
            "event_type": "事件类型",
            "campaign_id": "营销活动编号",
        },
    ),
}

_HEADER = (
    "# crmml column mapping: per table, the export file name (without extension) and your "
    "header -> canonical name\n"
    "# Written by `crmml demo-data --locale zh`; use it with `--mapping`.\n"
)


def mapping() -> dict:
    """The column mapping of the zh export, in the format the ingest reader expects."""
    return {
        "tables": {
            table: {"file": stem, "columns": {zh: canon for canon, zh in cols.items()}}
            for table, (stem, cols) in ZH_TABLES.items()
        }
    }


def mapping_yaml() -> str:
    """``mapping()`` as YAML text (UTF-8 friendly, key order kept)."""
    body = yaml.safe_dump(mapping(), allow_unicode=True, sort_keys=False, width=99)
    return _HEADER + body
