"""Chinese column labels shared by the screens, so one field has one name everywhere."""
from flask_babel import lazy_gettext as _l

LABELS = {
    "name": _l("名称"), "code": _l("编码"), "kind": _l("类型"), "parent": _l("上级组织"), "address": _l("地址"),
    "contact_person": _l("联系人"), "phone": _l("电话"), "email": _l("电子邮箱"),
    "party_org_name": _l("单位党组织"), "gender": _l("性别"), "ethnicity": _l("民族"),
    "birth_date": _l("出生日期"), "id_number": _l("身份证号码"), "building": _l("楼栋"), "unit_no": _l("单元"),
    "room": _l("房号"), "education": _l("学历"), "joined_on": _l("入党日期"), "confirmed_on": _l("转正日期"),
    "probation_extension_months": _l("预备期延长（月）"), "status": _l("党员类型"), "category": _l("类别"),
    "state": _l("党籍状态"), "affiliation": _l("所属党组织"), "location": _l("所在社区"),
    "liaison_group": _l("联络小组"), "work_unit": _l("工作单位"), "member": _l("党员"),
    "direction": _l("方向"), "within_city": _l("市内转接"), "from_org": _l("转出党组织"),
    "from_org_name": _l("转出党组织（外地）"), "to_org": _l("接收党组织"), "to_org_name": _l("接收党组织（外地）"),
    "letter_no": _l("介绍信编号"), "issued_on": _l("开具日期"), "valid_until": _l("有效期至"),
    "received_on": _l("接收日期"), "receipt_returned_on": _l("回执返回日期"), "org": _l("党组织"),
    "held_on": _l("日期"), "topic": _l("主题"), "notes": _l("备注"), "attendance": _l("出席情况"),
    "present": _l("出席"), "absence_reason": _l("缺席原因"), "username": _l("用户名"),
    "display_name": _l("姓名"), "role": _l("角色"), "can_see_sensitive": _l("可查看完整身份证号和电话"),
    "active": _l("启用"), "last_login_at": _l("最近登录"), "at": _l("时间"), "actor": _l("操作人"),
    "table_name": _l("数据表"), "record_id": _l("记录"), "action": _l("操作"), "before": _l("修改前"),
    "after": _l("修改后"), "note": _l("说明"), "mode": _l("管理模式"), "name_pinyin": _l("拼音"),
    "mobile": _l("手机"), "preferred_channel": _l("首选联系方式"),
}


def labels(*names):
    return {n: LABELS[n] for n in names}


def choice_formatter(choices):
    """Show a stored key by its title in lists, details and exports."""
    return lambda view, context, model, name: str(choices.get(getattr(model, name), getattr(model, name) or ""))


def choice_list(choices):
    """`form_choices` for a column holding keys of `choices` ({key: title})."""
    return list(choices.items())
