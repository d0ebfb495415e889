"""The matter and area trees: navigation, precomputed chains and refusal of broken trees."""

from __future__ import annotations

import pytest

from routing.glossary import AreaLevel
from routing.tree import AreaNode, AreaTree, CodeTree, MatterTree, TreeError, TreeNode, UnknownCode


def matter_tree() -> CodeTree:
    return MatterTree(
        [
            TreeNode("01", "城乡建设", None),
            TreeNode("0101", "物业管理", "01"),
            TreeNode("010101", "电梯故障", "0101"),
            TreeNode("010102", "物业收费", "0101"),
            TreeNode("02", "市场监管", None),
        ]
    )


def area_tree() -> AreaTree:
    return AreaTree(
        [
            AreaNode("3301", "杭州市", None, AreaLevel.CITY),
            AreaNode("330102", "上城区", "3301", AreaLevel.DISTRICT),
            AreaNode("330102001", "清波街道", "330102", AreaLevel.STREET),
            AreaNode("330102001001", "柳翠井巷社区", "330102001", AreaLevel.COMMUNITY),
        ]
    )


def test_ancestors_run_from_the_node_itself_up_to_the_root() -> None:
    assert matter_tree().ancestors("010101") == ("010101", "0101", "01")


def test_the_codes_under_some_roots_include_the_roots_and_ignore_unknown_ones() -> None:
    tree = matter_tree()
    assert tree.under(["0101", "02", "99"]) == {"0101", "010101", "010102", "02"}
    assert tree.under([]) == frozenset()


def test_a_root_has_depth_zero_and_no_parent() -> None:
    tree = matter_tree()
    assert tree.depth("01") == 0
    assert tree.parent("01") is None
    assert tree.depth("010102") == 2


def test_children_and_leaves_follow_the_parent_links() -> None:
    tree = matter_tree()
    assert tree.children("0101") == ("010101", "010102")
    assert set(tree.leaves()) == {"010101", "010102", "02"}
    assert tree.is_leaf("02")
    assert not tree.is_leaf("01")


def test_names_and_membership_are_answered_by_code() -> None:
    tree = matter_tree()
    assert tree.name("010101") == "电梯故障"
    assert "0101" in tree
    assert "9999" not in tree


def test_a_node_descends_from_its_ancestors_and_itself_only() -> None:
    tree = matter_tree()
    assert tree.descends_from("010101", "01")
    assert tree.descends_from("010101", "010101")
    assert not tree.descends_from("010101", "02")
    assert not tree.descends_from("01", "0101")


def test_an_unknown_code_raises_a_key_error_that_names_the_code() -> None:
    with pytest.raises(UnknownCode) as raised:
        matter_tree().ancestors("9999")
    assert isinstance(raised.value, KeyError)
    assert "9999" in str(raised.value)
    assert "事项分类" in str(raised.value)


def test_a_parent_that_does_not_exist_is_refused() -> None:
    with pytest.raises(TreeError, match="不存在"):
        CodeTree([TreeNode("01", "城乡建设", "00")])


def test_a_cycle_of_parents_is_refused() -> None:
    with pytest.raises(TreeError, match="循环"):
        CodeTree([TreeNode("a", "甲", "b"), TreeNode("b", "乙", "c"), TreeNode("c", "丙", "a")])


def test_a_node_that_is_its_own_parent_is_refused() -> None:
    with pytest.raises(TreeError, match="循环"):
        CodeTree([TreeNode("a", "甲", "a")])


def test_a_duplicate_code_is_refused() -> None:
    with pytest.raises(TreeError, match="重复"):
        CodeTree([TreeNode("01", "城乡建设", None), TreeNode("01", "市场监管", None)])


def test_a_deep_chain_is_built_without_recursion_limits() -> None:
    nodes = [TreeNode("0", "根", None)] + [
        TreeNode(str(i), f"节点{i}", str(i - 1)) for i in range(1, 5000)
    ]
    tree = CodeTree(reversed(nodes))
    assert tree.depth("4999") == 4999
    assert tree.ancestors("4999")[-1] == "0"


def test_the_area_tree_knows_each_level() -> None:
    areas = area_tree()
    assert areas.level("3301") is AreaLevel.CITY
    assert areas.level("330102001001") is AreaLevel.COMMUNITY


def test_a_community_lies_in_its_street_and_district() -> None:
    areas = area_tree()
    assert areas.street_of("330102001001") == "330102001"
    assert areas.district_of("330102001001") == "330102"
    assert areas.street_of("330102001") == "330102001"


def test_the_city_has_no_district_and_a_district_has_no_street() -> None:
    areas = area_tree()
    assert areas.district_of("3301") is None
    assert areas.street_of("330102") is None


def test_an_area_may_not_sit_at_or_above_its_parents_level() -> None:
    with pytest.raises(TreeError, match="层级"):
        AreaTree(
            [
                AreaNode("330102", "上城区", None, AreaLevel.DISTRICT),
                AreaNode("3301", "杭州市", "330102", AreaLevel.CITY),
            ]
        )


def test_the_area_tree_raises_unknown_code_for_a_missing_area() -> None:
    with pytest.raises(UnknownCode, match="行政区划"):
        area_tree().district_of("999")
