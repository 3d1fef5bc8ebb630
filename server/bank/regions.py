"""A table of real six-digit administrative division codes (行政区划代码) with province, city and district names.

A few hundred codes of the mainland (GB/T 2260, as published by the Ministry of Civil Affairs), enough for the
sandbox to print consistent addresses on generated ID cards. It is not the full table: use
:func:`is_known_region` only where "known to the sandbox" is what is meant; :mod:`server.identity.idnumber` checks
the province part for every number.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.identity.idnumber import PROVINCES

__all__ = ["REGIONS", "Region", "is_known_region", "region_for"]


@dataclass(frozen=True)
class Region:
    """One administrative division.

    Attributes:
        code: six-digit code.
        province: province-level name (e.g. 广东省, 北京市).
        city: prefecture-level city ("" for the four municipalities).
        district: county-level name ("" for cities without districts, e.g. 东莞市).
    """

    code: str
    province: str
    city: str
    district: str

    @property
    def address_prefix(self) -> str:
        """The start of an address in this division, as printed on an ID card."""
        return f"{self.province}{self.city}{self.district}"


# "city|code district code district ..." ; city empty for municipalities.
_TABLE = """
|110101 东城区 110102 西城区 110105 朝阳区 110106 丰台区 110107 石景山区 110108 海淀区 110109 门头沟区 110111 房山区
|110112 通州区 110113 顺义区 110114 昌平区 110115 大兴区 110116 怀柔区 110117 平谷区 110118 密云区 110119 延庆区
|120101 和平区 120102 河东区 120103 河西区 120104 南开区 120105 河北区 120106 红桥区 120110 东丽区 120111 西青区
|120112 津南区 120113 北辰区 120114 武清区 120115 宝坻区 120116 滨海新区
石家庄市|130102 长安区 130104 桥西区 130105 新华区 130108 裕华区
唐山市|130202 路南区 130203 路北区
保定市|130602 竞秀区 130606 莲池区
太原市|140105 小店区 140106 迎泽区 140107 杏花岭区 140108 尖草坪区 140109 万柏林区 140110 晋源区
呼和浩特市|150102 新城区 150103 回民区 150104 玉泉区 150105 赛罕区
沈阳市|210102 和平区 210103 沈河区 210104 大东区 210105 皇姑区 210106 铁西区
大连市|210202 中山区 210203 西岗区 210204 沙河口区 210211 甘井子区
长春市|220102 南关区 220103 宽城区 220104 朝阳区 220105 二道区 220106 绿园区
哈尔滨市|230102 道里区 230103 南岗区 230104 道外区 230108 平房区 230109 松北区 230110 香坊区
|310101 黄浦区 310104 徐汇区 310105 长宁区 310106 静安区 310107 普陀区 310109 虹口区 310110 杨浦区 310112 闵行区
|310113 宝山区 310114 嘉定区 310115 浦东新区 310116 金山区 310117 松江区 310118 青浦区 310120 奉贤区 310151 崇明区
南京市|320102 玄武区 320104 秦淮区 320105 建邺区 320106 鼓楼区 320111 浦口区 320113 栖霞区 320114 雨花台区
南京市|320115 江宁区
无锡市|320211 滨湖区 320213 梁溪区 320214 新吴区
苏州市|320505 虎丘区 320506 吴中区 320507 相城区 320508 姑苏区 320509 吴江区
杭州市|330102 上城区 330105 拱墅区 330106 西湖区 330108 滨江区 330109 萧山区 330110 余杭区
宁波市|330203 海曙区 330205 江北区 330206 北仑区 330212 鄞州区
温州市|330302 鹿城区 330303 龙湾区 330304 瓯海区
合肥市|340102 瑶海区 340103 庐阳区 340104 蜀山区 340111 包河区
福州市|350102 鼓楼区 350103 台江区 350104 仓山区 350105 马尾区 350111 晋安区
厦门市|350203 思明区 350205 海沧区 350206 湖里区 350211 集美区 350212 同安区 350213 翔安区
南昌市|360102 东湖区 360103 西湖区 360104 青云谱区 360111 青山湖区
济南市|370102 历下区 370103 市中区 370104 槐荫区 370105 天桥区 370112 历城区
青岛市|370202 市南区 370203 市北区 370211 黄岛区 370212 崂山区 370213 李沧区 370214 城阳区
郑州市|410102 中原区 410103 二七区 410104 管城回族区 410105 金水区 410108 惠济区
武汉市|420102 江岸区 420103 江汉区 420104 硚口区 420105 汉阳区 420106 武昌区 420107 青山区 420111 洪山区
长沙市|430102 芙蓉区 430103 天心区 430104 岳麓区 430105 开福区 430111 雨花区
广州市|440103 荔湾区 440104 越秀区 440105 海珠区 440106 天河区 440111 白云区 440112 黄埔区 440113 番禺区
广州市|440114 花都区 440115 南沙区
深圳市|440303 罗湖区 440304 福田区 440305 南山区 440306 宝安区 440307 龙岗区 440308 盐田区
珠海市|440402 香洲区
佛山市|440604 禅城区 440605 南海区 440606 顺德区
东莞市|441900 -
中山市|442000 -
南宁市|450102 兴宁区 450103 青秀区 450105 江南区 450107 西乡塘区
海口市|460105 秀英区 460106 龙华区 460107 琼山区 460108 美兰区
三亚市|460202 海棠区 460203 吉阳区
|500101 万州区 500103 渝中区 500104 大渡口区 500105 江北区 500106 沙坪坝区 500107 九龙坡区 500108 南岸区
|500109 北碚区 500112 渝北区 500113 巴南区
成都市|510104 锦江区 510105 青羊区 510106 金牛区 510107 武侯区 510108 成华区 510112 龙泉驿区 510116 双流区
贵阳市|520102 南明区 520103 云岩区 520111 花溪区 520112 乌当区 520113 白云区
昆明市|530102 五华区 530103 盘龙区 530111 官渡区 530112 西山区
拉萨市|540102 城关区
西安市|610102 新城区 610103 碑林区 610104 莲湖区 610111 灞桥区 610112 未央区 610113 雁塔区
兰州市|620102 城关区 620103 七里河区 620104 西固区 620105 安宁区
西宁市|630102 城东区 630103 城中区 630104 城西区 630105 城北区
银川市|640104 兴庆区 640105 西夏区 640106 金凤区
乌鲁木齐市|650102 天山区 650103 沙依巴克区 650104 新市区 650105 水磨沟区
"""


def _load() -> dict[str, Region]:
    regions: dict[str, Region] = {}
    for line in _TABLE.strip().splitlines():
        city, _, rest = line.partition("|")
        tokens = rest.split()
        for code, district in zip(tokens[::2], tokens[1::2], strict=True):
            regions[code] = Region(code, PROVINCES[code[:2]], city, "" if district == "-" else district)
    return regions


REGIONS: dict[str, Region] = _load()
"""Code -> region, in table order."""


def region_for(code: str) -> Region | None:
    """The region with this six-digit code, if the table has it."""
    return REGIONS.get(code)


def is_known_region(code: str) -> bool:
    """Whether the table has this six-digit code."""
    return code in REGIONS
