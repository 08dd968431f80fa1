"""Roles are stored as codes and shown by their catalogue labels (label.role.<code>) in the page's language."""

from __future__ import annotations


def test_role_tags_show_the_label_in_the_page_language(small_client, reg):
    assert reg.get("ent-a")["roles"] == ["chain_leader", "leading"]
    html = small_client.get("/entity/ent-a").get_data(as_text=True)
    assert '<span class="tag role">链主</span><span class="tag role">龙头</span>' in html
    html = small_client.get("/entity/ent-a?lang=en").get_data(as_text=True)
    assert '<span class="tag role">Chain leader</span><span class="tag role">Leading firm</span>' in html


def test_the_role_filter_lists_codes_and_keeps_an_old_link_selected(small_client):
    html = small_client.get("/search?role=链主").get_data(as_text=True)  # a link from before the codes
    assert '<option value="chain_leader" selected>链主</option>' in html
    assert '<span class="tag role">链主</span>' in html
    r = small_client.get("/search?role=大企业")
    assert r.status_code == 400 and "大企业" in r.get_data(as_text=True)


def test_the_edit_form_offers_each_role_by_its_label(small_editor):
    html = small_editor.get("/entity/ent-b/edit").get_data(as_text=True)
    assert 'value="specialised" checked> 专精特新</label>' in html
    assert 'value="little_giant" > 专精特新小巨人</label>' in html


def test_the_record_panel_names_roles_by_their_labels(small_client):
    html = small_client.get("/entity/ent-b").get_data(as_text=True)
    assert "<td>专精特新</td>" in html.replace("\n", "") or ">专精特新<" in html.split("基本信息")[-1]
    assert "specialised" not in html.split("基本信息")[-1].split("记录来源")[0]
    en = small_client.get("/entity/ent-b?lang=en").get_data(as_text=True)
    assert "Specialised and innovative (专精特新)" in en
