"""Chinese provinces, major cities and regions, with the spellings CRM users type for them.

Used to respell ``region`` / ``city`` categories (北京 / 北京市 / Beijing / BEIJING are one value)
and to drop a leading place name from company names (北京ABC科技 is ABC科技).
"""

from __future__ import annotations

# Chinese name -> pinyin (lower case). The pinyin is the group key of a place.
PLACES: dict[str, str] = {
    "北京": "beijing", "上海": "shanghai", "天津": "tianjin", "重庆": "chongqing",
    "广东": "guangdong", "江苏": "jiangsu", "浙江": "zhejiang", "山东": "shandong",
    "四川": "sichuan", "湖北": "hubei", "湖南": "hunan", "河南": "henan", "河北": "hebei",
    "福建": "fujian", "安徽": "anhui", "辽宁": "liaoning", "吉林": "jilin",
    "黑龙江": "heilongjiang", "山西": "shanxi", "陕西": "shaanxi", "江西": "jiangxi",
    "云南": "yunnan", "贵州": "guizhou", "甘肃": "gansu", "青海": "qinghai", "海南": "hainan",
    "广西": "guangxi", "内蒙古": "inner mongolia", "宁夏": "ningxia", "新疆": "xinjiang",
    "西藏": "tibet", "香港": "hong kong", "澳门": "macau", "台湾": "taiwan",
    "深圳": "shenzhen", "广州": "guangzhou", "杭州": "hangzhou", "南京": "nanjing",
    "苏州": "suzhou", "成都": "chengdu", "武汉": "wuhan", "西安": "xian", "长沙": "changsha",
    "郑州": "zhengzhou", "青岛": "qingdao", "宁波": "ningbo", "厦门": "xiamen",
    "东莞": "dongguan", "佛山": "foshan", "合肥": "hefei", "济南": "jinan", "沈阳": "shenyang",
    "大连": "dalian", "福州": "fuzhou", "无锡": "wuxi", "昆明": "kunming",
    "石家庄": "shijiazhuang", "太原": "taiyuan", "兰州": "lanzhou", "乌鲁木齐": "urumqi",
    "哈尔滨": "harbin", "长春": "changchun", "南昌": "nanchang", "南宁": "nanning",
    "贵阳": "guiyang", "海口": "haikou", "呼和浩特": "hohhot", "银川": "yinchuan",
    "西宁": "xining", "拉萨": "lhasa", "珠海": "zhuhai", "温州": "wenzhou", "常州": "changzhou",
    "烟台": "yantai", "泉州": "quanzhou", "惠州": "huizhou", "中山": "zhongshan",
}  # fmt: skip

# Sales regions: Chinese name -> English group key.
REGIONS: dict[str, str] = {
    "华东": "east china", "华南": "south china", "华北": "north china", "华中": "central china",
    "西南": "southwest china", "西北": "northwest china", "东北": "northeast china",
}  # fmt: skip

_SUFFIXES = ("省", "市", "区", "地区", "特别行政区", "壮族自治区", "回族自治区", "维吾尔自治区",
             "自治区")  # fmt: skip


def _aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for cn, key in {**PLACES, **REGIONS}.items():
        for suffix in ("", *_SUFFIXES):
            out[cn + suffix] = key
        out[key] = key
        out[key.replace(" ", "")] = key
    for key in REGIONS.values():  # "northwest" for "northwest china"
        out[key.removesuffix(" china")] = key
    out.update({"xi'an": "xian", "hongkong": "hong kong", "peking": "beijing", "macao": "macau",
                "wulumuqi": "urumqi", "haerbin": "harbin", "huhehaote": "hohhot"})  # fmt: skip
    return out


PLACE_ALIASES: dict[str, str] = _aliases()
"""Lower-cased spelling -> group key (the pinyin / English name)."""

CITY_NAMES_ZH: tuple[str, ...] = tuple(PLACES)
CITY_NAMES_EN: tuple[str, ...] = tuple(sorted(set(PLACES.values())))
