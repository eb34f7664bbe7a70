"""Word lists of the sample data: regions, cities, industries, name syllables, job titles.

Every name is assembled from these syllables; no list holds a real person or company.
"""

from __future__ import annotations

import numpy as np

# (canonical region, English spelling, weight); the neglected lead region is REGIONS[5].
REGIONS: tuple[tuple[str, str, float], ...] = (
    ("华北", "North China", 0.19),
    ("华东", "East China", 0.28),
    ("华南", "South China", 0.19),
    ("华中", "Central China", 0.10),
    ("西南", "Southwest", 0.09),
    ("西北", "Northwest", 0.09),
    ("东北", "Northeast", 0.06),
)
NEGLECTED_REGION = 5

# region index -> (city, English spelling)
CITIES: tuple[tuple[int, str, str], ...] = (
    (0, "北京", "Beijing"),
    (0, "天津", "Tianjin"),
    (0, "石家庄", "Shijiazhuang"),
    (0, "太原", "Taiyuan"),
    (1, "上海", "Shanghai"),
    (1, "杭州", "Hangzhou"),
    (1, "南京", "Nanjing"),
    (1, "苏州", "Suzhou"),
    (1, "宁波", "Ningbo"),
    (1, "济南", "Jinan"),
    (2, "广州", "Guangzhou"),
    (2, "深圳", "Shenzhen"),
    (2, "厦门", "Xiamen"),
    (2, "东莞", "Dongguan"),
    (3, "武汉", "Wuhan"),
    (3, "长沙", "Changsha"),
    (3, "郑州", "Zhengzhou"),
    (4, "成都", "Chengdu"),
    (4, "重庆", "Chongqing"),
    (4, "昆明", "Kunming"),
    (5, "西安", "Xi'an"),
    (5, "兰州", "Lanzhou"),
    (5, "乌鲁木齐", "Urumqi"),
    (6, "沈阳", "Shenyang"),
    (6, "大连", "Dalian"),
    (6, "哈尔滨", "Harbin"),
)

# (industry value, [(name word, English word)], weight)
INDUSTRIES: tuple[tuple[str, tuple[tuple[str, str], ...], float], ...] = (
    ("制造业", (("机械", "Machinery"), ("精密", "Precision"), ("电子", "Electronics")), 0.22),
    (
        "软件与信息服务",
        (("科技", "Technology"), ("软件", "Software"), ("信息", "Information")),
        0.2,
    ),
    ("批发零售", (("商贸", "Trading"), ("贸易", "Trade")), 0.14),
    ("金融", (("资本", "Capital"), ("投资", "Investment")), 0.06),
    ("医疗健康", (("医疗", "Medical"), ("生物", "Biotech")), 0.09),
    ("教育培训", (("教育", "Education"),), 0.07),
    ("物流", (("物流", "Logistics"), ("供应链", "Supply Chain")), 0.09),
    ("能源", (("能源", "Energy"), ("新能源", "New Energy")), 0.05),
    ("餐饮食品", (("食品", "Foods"), ("餐饮", "Catering")), 0.08),
)

SIZES: tuple[str, ...] = ("1-10", "11-50", "51-200", "201-1000", "1000+")
SIZE_WEIGHTS = np.array([0.22, 0.32, 0.24, 0.14, 0.08])

# (suffix, English suffix)
SUFFIXES: tuple[tuple[str, str], ...] = (
    ("有限公司", "Co., Ltd."),
    ("股份有限公司", "Co., Ltd."),
    ("集团有限公司", "Group Co., Ltd."),
)

BRAND_SYLLABLES: tuple[tuple[str, str], ...] = tuple(
    zip(
        "华信博远恒达中天瑞安泰鑫宏盛嘉辰睿锦联创新云海星德龙腾飞卓越汇通智捷凯明昊润祥和丰永光美易诚荣峰启",
        (
            "Hua Xin Bo Yuan Heng Da Zhong Tian Rui An Tai Xin Hong Sheng Jia Chen Rui Jin Lian "
            "Chuang Xin Yun Hai Xing De Long Teng Fei Zhuo Yue Hui Tong Zhi Jie Kai Ming Hao Run "
            "Xiang He Feng Yong Guang Mei Yi Cheng Rong Feng Qi"
        ).split(),
        strict=True,
    )
)

SURNAMES: tuple[tuple[str, str], ...] = tuple(
    zip(
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹",
        (
            "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao "
            "Zheng Liang Xie Song Tang Xu Han Feng Deng Cao"
        ).split(),
        strict=True,
    )
)
GIVEN: tuple[tuple[str, str], ...] = tuple(
    zip(
        "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚婷浩宇欣佳晨阳思雨文",
        (
            "Wei Fang Na Min Jing Li Qiang Lei Jun Yang Yong Yan Jie Tao Ming Chao Xiu Xia Ping "
            "Gang Ting Hao Yu Xin Jia Chen Yang Si Yu Wen"
        ).split(),
        strict=True,
    )
)

# Job titles by seniority (2: executive, 1: manager, 0: staff), Chinese and English mixed.
TITLES: tuple[tuple[str, int], ...] = (
    ("CEO", 2),
    ("总经理", 2),
    ("董事长", 2),
    ("VP of Sales", 2),
    ("副总裁", 2),
    ("CTO", 2),
    ("技术总监", 2),
    ("采购总监", 2),
    ("Director of Operations", 2),
    ("运营总监", 2),
    ("采购经理", 1),
    ("IT经理", 1),
    ("Sales Manager", 1),
    ("项目经理", 1),
    ("Product Manager", 1),
    ("部门经理", 1),
    ("市场经理", 1),
    ("IT Manager", 1),
    ("专员", 0),
    ("采购专员", 0),
    ("行政助理", 0),
    ("Engineer", 0),
    ("工程师", 0),
    ("Sales Representative", 0),
    ("销售代表", 0),
    ("Analyst", 0),
    ("实习生", 0),
)
TITLE_WEIGHTS = np.array([3 if s == 2 else 4 if s == 1 else 5 for _, s in TITLES], dtype=float)
TITLE_WEIGHTS /= TITLE_WEIGHTS.sum()

SOURCES: tuple[str, ...] = ("referral", "event", "partner", "web", "ads", "cold_list")
SOURCE_WEIGHTS = np.array([0.12, 0.12, 0.08, 0.30, 0.20, 0.18])
# Log-odds effect of each source on lead conversion (the hidden ground truth).
SOURCE_EFFECT = np.array([1.3, 1.0, 0.6, 0.0, -0.3, -1.3])

PRODUCT_CATEGORIES: tuple[str, ...] = (
    "software",
    "hardware",
    "services",
    "consumables",
    "training",
)
PRODUCT_WEIGHTS = np.array([0.33, 0.2, 0.25, 0.15, 0.07])
DRIFT_CATEGORY = "ai_addon"

PLANS: tuple[str, ...] = ("basic", "pro", "enterprise")
PLAN_FEES = np.array([299.0, 999.0, 4999.0])

TICKET_PRIORITIES: tuple[str, ...] = ("low", "medium", "high", "urgent")
TICKET_CATEGORIES: tuple[str, ...] = (
    "billing",
    "technical",
    "delivery",
    "account",
    "feature_request",
)

N_OWNERS = 40


def weights(table: tuple) -> np.ndarray:
    """Normalised weights from the last field of each row of a vocabulary table."""
    w = np.array([row[-1] for row in table], dtype=float)
    return w / w.sum()
