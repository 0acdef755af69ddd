"""Is this a person's name? Decided by the evidence around it, not by a gate.

A name introduced by a label (``作者：``, ``记者 ``) or by a structured field needs only the
shape of a name; a name glued to a role word (``记者王五``, ``王五摄``) also needs a known
surname or a transliteration; a bare name (a line of names under a headline, ``[ 黄晓宇 ]`` in an
info bar) needs a known surname. The surname table raises confidence; it never rejects a name
that a label introduces. ``docs/bylines.md`` lists the forms and the evidence each one gives.
"""

from __future__ import annotations

import re
from enum import IntEnum
from typing import Final

from crawler.extraction.source import OUTLETS
from crawler.extraction.text import HAN


class Evidence(IntEnum):
    """How strongly the position of a string says that it is a name."""

    #: No role word: a names-only line, a bracket in an info bar, a closing bracket.
    BARE = 0
    #: A role word glued to it (``记者王五``) or a role word after it (``王五 摄``).
    GLUED = 1
    #: A label with a separator (``作者：``, ``记者 ``, ``文/``) or a structured author field.
    LABELLED = 2


#: Common single-character surnames (the great majority of Chinese people carry one of these).
SURNAMES: Final[frozenset[str]] = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖萧田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚"
    "邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘"
    "祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾"
    "尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师"
    "和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳"
    "谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门"
    "云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈"
    "湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
)
COMPOUND_SURNAMES: Final[frozenset[str]] = frozenset(
    {
        "欧阳",
        "司马",
        "诸葛",
        "东方",
        "皇甫",
        "慕容",
        "令狐",
        "夏侯",
        "长孙",
        "宇文",
        "端木",
        "公孙",
        "司徒",
        "上官",
        "钟离",
        "万俟",
        "尉迟",
        "澹台",
        "轩辕",
        "濮阳",
        "淳于",
        "单于",
        "太叔",
        "申屠",
        "闾丘",
    }
)
#: Characters of Tibetan, Uyghur, Kazakh and Mongolian names written in Han characters
#: (次仁旺堆, 买买提艾力, 乌云其木格). These names carry no surname from the table, so a
#: role word plus this alphabet is their evidence; it also lets them run to eight characters.
TRANSLITERATION: Final[frozenset[str]] = frozenset(
    "阿艾爱安昂敖奥巴拜班邦宝保贝本比毕别宾波博卜布才仓草策查昌朝成赤楚次措达大代丹旦道德登迪"
    "丁顿都杜敦多朵额恩尔法帆甫嘎盖甘刚戈哥格根贡古瓜关广贵哈海汗罕杭豪合和赫黑亨洪呼胡虎华吉加"
    "佳嘉坚江杰金晋京久居君卡喀开凯坎康柯科克肯孔库拉喇腊来莱兰朗勒雷力丽利莲廉列林琳伦罗洛"
    "玛麦买曼毛梅美门蒙孟米敏明莫姆木穆纳娜乃南尼年宁努诺帕潘培佩彭普奇其齐启恰钦琴青琼曲确"
    "然让热仁日荣如萨赛桑色森沙善尚舍申什索苏素塔太泰坦唐陶特提天铁通图吐托瓦娃万旺维卫温文"
    "乌吾西希锡喜夏先贤香祥雅亚央扬尧耶叶伊依益英尤友于玉裕元远约云赞泽扎札张哲珍真郑知智中"
    "周珠朱卓孜宗祖佐堆逊那顺鲁默里丁卡乎排菲再肉奴则尕觉群培强土饶宝音朝额敦坦敖包满根楞钦锡浩"
    "勒登措穷托别斯穆娃妮"
)
#: Characters that do not occur in a name unless it starts with a known surname: a labelled
#: string holding one of them is a clause (``记者 了解到``), not a name.
_FUNCTION_CHARS: Final[frozenset[str]] = frozenset(
    "的了是在们这那就都也还说到着过从对把被将等个为之其而并已所以我你您他她它怎么什吗呢吧啊哪谁"
)
#: Verbs that follow a name in a sentence (``张三介绍``, ``记者 张三 表示``): a string ending
#: in one is a clause, not a name.
_CLAUSE_ENDINGS: Final[tuple[str, ...]] = (
    "表示",
    "介绍",
    "认为",
    "指出",
    "透露",
    "告诉",
    "获悉",
    "了解",
    "发现",
    "看到",
    "注意到",
    "采访",
    "走访",
    "来到",
    "说",
    "称",
)

#: Kinds of report printed before ``报道`` (``特别报道``, ``专题报道``, ``连续报道``): a column or
#: a label, where ``张三 上海报道`` has a name (docs/bylines.md, N33).
REPORT_KINDS: Final[frozenset[str]] = frozenset(
    {
        "特别",
        "专题",
        "连续",
        "系列",
        "相关",
        "跟踪",
        "追踪",
        "详细",
        "现场",
        "重点",
        "前方",
        "图文",
        "视频",
        "新闻",
        "深度",
        "独家",
        "综合",
        "联合",
        "集中",
        "全程",
        "持续",
        "最新",
    }
)
#: Strings that follow a role word in running text or metadata bars but name nobody.
NOT_NAMES: Final[frozenset[str]] = REPORT_KINDS | frozenset(
    {
        "本报",
        "本网",
        "本刊",
        "本站",
        "本台",
        "记者",
        "通讯员",
        "编辑",
        "作者",
        "来源",
        "发布",
        "时间",
        "日期",
        "报道",
        "综合",
        "整理",
        "转载",
        "编辑部",
        "新闻",
        "图片",
        "摄影",
        "视频",
        "责任编辑",
        "责编",
        "審核",
        "审核",
        "校对",
        "发稿",
        "点击",
        "阅读",
        "浏览",
        "分享",
        "评论",
        "字号",
        "打印",
        "关闭",
        "获悉",
        "了解",
        "注意到",
        "看到",
        "发现",
        "采访",
        "走访",
        "来到",
        "近日",
        "昨日",
        "今日",
        "今天",
        "昨天",
        "日前",
        "现场",
        "值班",
        "供图",
        "资料图",
        "资料",
        "图文",
        "文章",
        "全文",
        "正文",
        "本文",
        "原文",
        "官方",
        "编者",
        "编者按",
        "主编",
        "总编",
        "社长",
        "联系",
        "电话",
        "邮箱",
        "地址",
        "标题",
        "摘要",
        "导读",
        "简介",
        "详情",
        "更多",
        "返回",
        "首页",
        "位置",
        "当前",
        "来自",
        "出处",
        "频道",
        "栏目",
        "专题",
        "热点",
        "楼主",
        "版主",
        "斑竹",
        "游客",
        "会员",
        "用户",
        "博主",
        "评论员",
        "本报评论员",
        "特约评论员",
        "观察员",
        "课题组",
        "通讯",
        "图为",
        "完",
    }
)
#: Sections, categories and tags printed in brackets or alone near a headline (``[国内]``,
#: ``【高清】``): words, never names, though many start with a surname character.
SECTION_WORDS: Final[frozenset[str]] = frozenset(
    {
        "国内",
        "国际",
        "时政",
        "社会",
        "财经",
        "经济",
        "体育",
        "娱乐",
        "科技",
        "教育",
        "文化",
        "军事",
        "房产",
        "汽车",
        "健康",
        "旅游",
        "高清",
        "高考",
        "独家",
        "要闻",
        "民生",
        "本地",
        "时评",
        "评论",
        "观点",
        "快讯",
        "简讯",
        "头条",
        "聚焦",
        "关注",
        "视点",
        "公告",
        "通知",
        "图集",
        "组图",
        "直播",
        "专访",
        "访谈",
        "深度",
        "调查",
        "政策",
        "解读",
        "法治",
        "生活",
        "美食",
        "数码",
        "游戏",
        "时尚",
        "母婴",
        "安全",
        "金融",
        "证券",
        "基金",
        "国企",
        "党建",
        "廉政",
    }
)
#: Placeholders that mean "no author".
PLACEHOLDERS: Final[frozenset[str]] = frozenset(
    {
        "佚名",
        "未知",
        "匿名",
        "小编",
        "admin",
        "administrator",
        "unknown",
        "anonymous",
        "网友",
        "本站",
        "本网",
        "管理员",
        "编辑",
        "网络",
        "原创",
        "none",
        "null",
        "staff",
        "name",
        "author",
        "authors",
        "username",
        "nickname",
        "undefined",
        "default",
        "guest",
        "test",
        "writer",
        "editor",
        "作者",
        "作者名",
        "姓名",
        "名字",
        "昵称",
        "用户名",
    }
)
#: Buttons and links printed inside author boxes (``张三 关注``): never a name, and a boundary
#: after one.
UI_LABELS: Final[frozenset[str]] = frozenset(
    {
        "关注",
        "已关注",
        "加关注",
        "取消关注",
        "订阅",
        "已订阅",
        "分享",
        "收藏",
        "点赞",
        "私信",
        "举报",
        "粉丝",
        "登录",
        "注册",
        "主页",
        "进入主页",
        "更多文章",
        "查看更多",
        "赞赏",
        "打赏",
        "投诉",
        "follow",
        "subscribe",
        "share",
    }
)
#: Placeholder words inside a longer credit (``网友投稿``, ``本站小编``): no person.
_PLACEHOLDER_PART_RE: Final = re.compile(r"网友|投稿|供稿|本站|本网|小编|佚名|匿名|管理员")

#: Endings of outlets and organisations, never of a person's name.
ORG_SUFFIXES: Final[tuple[str, ...]] = (
    "网",
    "报",
    "社",
    "新闻",
    "中心",
    "办公室",
    "公司",
    "频道",
    "杂志",
    "集团",
    "协会",
    "学会",
    "政府",
    "电视台",
    "电台",
    "客户端",
    "平台",
    "工作室",
    "委员会",
    "研究院",
    "研究所",
    "员",
)
#: Single-character organisation endings that also end many given names (刘会, 王军): only
#: checked on names of four characters or more.
ORG_SUFFIXES_SHORT: Final[tuple[str, ...]] = (
    "局",
    "委",
    "部",
    "厅",
    "院",
    "号",
    "组",
    "站",
    "处",
    "科",
    "队",
    "所",
    "署",
    "会",
    "馆",
)
#: Name shapes: 2-4 Han; 5-8 Han (transliterations only); a dotted minority name.
_HAN_NAME_RE: Final = re.compile(rf"[{HAN}]{{2,4}}")
_LONG_NAME_RE: Final = re.compile(rf"[{HAN}]{{5,8}}")
_DOTTED_NAME_RE: Final = re.compile(rf"[{HAN}]{{1,8}}(?:[·•・．.][{HAN}]{{1,8}}){{1,2}}")
_DOT_RE: Final = re.compile("[·•・．.]")


def has_surname(name: str) -> bool:
    return name[:2] in COMPOUND_SURNAMES or name[:1] in SURNAMES


def _transliterated(name: str) -> bool:
    return all(char in TRANSLITERATION for char in name)


def _named_nobody(name: str) -> bool:
    """A word, placeholder, UI label, outlet or organisation, whatever the evidence."""
    low = name.lower()
    if name in NOT_NAMES or low in PLACEHOLDERS or low in UI_LABELS or name in SECTION_WORDS:
        return True
    if _PLACEHOLDER_PART_RE.search(name) or name in OUTLETS:
        return True
    if name.endswith(_CLAUSE_ENDINGS):
        return True
    if name.endswith(ORG_SUFFIXES):
        return True
    return len(name) >= 4 and name.endswith(ORG_SUFFIXES_SHORT)


def is_person_name(name: str, evidence: Evidence) -> bool:
    """A person's name in Han characters, given how its position introduces it."""
    if _DOTTED_NAME_RE.fullmatch(name):
        # The dot is the evidence: 买买提·艾力, 那顺·巴雅尔, whatever the position.
        parts = _DOT_RE.split(name)
        return not any(_named_nobody(part) for part in parts) and not _named_nobody(name)
    if _named_nobody(name):
        return False
    if _LONG_NAME_RE.fullmatch(name):
        return evidence >= Evidence.GLUED and _transliterated(name)
    if not _HAN_NAME_RE.fullmatch(name):
        return False
    surname = has_surname(name)
    if evidence == Evidence.BARE:
        # Four characters without a compound surname are more often a word (阿里巴巴), and
        # an organisation's ending ends no bare name (南美站).
        if name.endswith(ORG_SUFFIXES_SHORT):
            return False
        return surname and (len(name) < 4 or name[:2] in COMPOUND_SURNAMES)
    if surname or _transliterated(name):
        return True
    if evidence == Evidence.GLUED:
        return False
    return not any(char in _FUNCTION_CHARS for char in name)


#: Endings of the offices that issue government documents (``发文机关``): a people's
#: government, its general office, a bureau, a commission, a ministry, a Party committee.
_ISSUER_ENDINGS: Final[tuple[str, ...]] = (
    *ORG_SUFFIXES_SHORT,
    "政府",
    "府",
    "办",
    "厅",
    "室",
    "中心",
    "委员会",
    "人大",
    "政协",
    "法院",
    "检察院",
    "公司",
    "集团",
    "协会",
    "学会",
    "联合会",
)
_ISSUER_RE: Final = re.compile(rf"[{HAN}（）()]{{3,40}}")


def is_issuing_body(name: str) -> bool:
    """An office named as a document's issuer (``吉林省人民政府``, ``市发展改革委``,
    ``国务院办公厅``): Han characters ending like an office, and no placeholder."""
    if not _ISSUER_RE.fullmatch(name) or name in NOT_NAMES or name in PLACEHOLDERS:
        return False
    if _PLACEHOLDER_PART_RE.search(name) or name in OUTLETS:
        return False
    return name.endswith(_ISSUER_ENDINGS)
