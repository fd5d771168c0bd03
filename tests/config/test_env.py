import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_credit_costs, env_int, env_list


def test_booleans_accept_the_usual_spellings(monkeypatch):
    monkeypatch.setenv("FLAG", "Yes")
    assert env_bool("FLAG") is True
    monkeypatch.setenv("FLAG", "0")
    assert env_bool("FLAG", default=True) is False


def test_a_malformed_boolean_fails_loudly(monkeypatch):
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="FLAG must be a boolean"):
        env_bool("FLAG")


def test_integers_are_checked_for_type_and_minimum(monkeypatch):
    monkeypatch.setenv("N", "abc")
    with pytest.raises(ImproperlyConfigured, match="N must be an integer"):
        env_int("N", 1)
    monkeypatch.setenv("N", "0")
    with pytest.raises(ImproperlyConfigured, match="N must be at least 1"):
        env_int("N", 1, minimum=1)
    monkeypatch.setenv("N", "7")
    assert env_int("N", 1, minimum=1) == 7


def test_lists_split_on_commas(monkeypatch):
    monkeypatch.setenv("HOSTS", "a.example, b.example,,")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]
    monkeypatch.delenv("HOSTS")
    assert env_list("HOSTS", ["x"]) == ["x"]


def test_credit_costs_given_replace_the_defaults(monkeypatch):
    monkeypatch.setenv("CREDIT_COSTS", '{"deck_page": 2, "image_4K": 0}')

    assert env_credit_costs("CREDIT_COSTS") == {
        "image_1K": 1,
        "image_2K": 2,
        "image_4K": 0,
        "deck_page": 2,
    }


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ('{"deck_pages": 2}', "unknown price 'deck_pages'"),
        ('{"deck_page": -1}', "whole number from 0"),
        ('{"deck_page": 1.5}', "whole number from 0"),
        ('{"deck_page": "2"}', "whole number from 0"),
        ('{"deck_page": true}', "whole number from 0"),
        ("[1]", "JSON object"),
        ("{deck_page: 1}", "JSON object"),
    ],
)
def test_malformed_credit_costs_fail_loudly(monkeypatch, raw, words):
    monkeypatch.setenv("CREDIT_COSTS", raw)

    with pytest.raises(ImproperlyConfigured, match=words):
        env_credit_costs("CREDIT_COSTS")
