"""Reading Sentinel and Cluster URLs (docs/contract.md §8)."""

from __future__ import annotations

import pytest

from bus.urls import (
    ClusterURL,
    SentinelURL,
    check_bus_url,
    parse_cluster_url,
    parse_sentinel_url,
)


@pytest.mark.parametrize(
    ("url", "parsed"),
    [
        (
            "redis+sentinel://s1:26379/mymaster",
            SentinelURL((("s1", 26379),), "mymaster"),
        ),
        (
            "redis+sentinel://:p%40ss@s1:26379,10.0.0.2:26380,[::1]:26381/cache/2",
            SentinelURL(
                (("s1", 26379), ("10.0.0.2", 26380), ("::1", 26381)), "cache", 2, password="p@ss"
            ),
        ),
        (
            "REDIS+SENTINEL://app:pw@s1,s2/mymaster/",
            SentinelURL((("s1", 26379), ("s2", 26379)), "mymaster", username="app", password="pw"),
        ),
    ],
)
def test_a_sentinel_url_names_sentinels_master_db_and_password(
    url: str, parsed: SentinelURL
) -> None:
    assert parse_sentinel_url(url) == parsed


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("redis+sentinel://s1:26379", "needs the master's service name"),
        ("redis+sentinel://s1:26379/", "needs the master's service name"),
        ("redis+sentinel:///mymaster", "bad sentinel address ''"),
        ("redis+sentinel://s1:26379,/mymaster", "bad sentinel address ''"),
        ("redis+sentinel://s1:99999/mymaster", "bad sentinel address 's1:99999'"),
        ("redis+sentinel://s1:x/mymaster", "bad sentinel address 's1:x'"),
        ("redis+sentinel://s1/mymaster/zero", "only a database number may follow"),
        ("redis+sentinel://s1/mymaster/0/more", "only a database number may follow"),
        ("redis+sentinel://s1/mymaster?db=1", "takes no query"),
    ],
)
def test_a_malformed_sentinel_url_says_what_is_wrong(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("?", "\\?")) as refused:
        check_bus_url(url)
    assert "redis+sentinel://[:password@]host:port" in str(refused.value)


@pytest.mark.parametrize("url", ["memory://", "redis://localhost:6379/0", "rediss://h:6380/1"])
def test_other_schemes_pass_unparsed(url: str) -> None:
    check_bus_url(url)


@pytest.mark.parametrize(
    ("url", "parsed"),
    [
        ("redis+cluster://n1:7000", ClusterURL((("n1", 7000),))),
        (
            "redis+cluster://:p%40ss@n1:7000,10.0.0.2,[::1]:7002/",
            ClusterURL((("n1", 7000), ("10.0.0.2", 6379), ("::1", 7002)), password="p@ss"),
        ),
    ],
)
def test_a_cluster_url_names_some_nodes_and_the_password(url: str, parsed: ClusterURL) -> None:
    assert parse_cluster_url(url) == parsed


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("redis+cluster://n1:7000/0", "no database numbers"),
        ("redis+cluster://n1:7000/3", "no database numbers"),
        ("redis+cluster://n1:7000,/", "bad node address ''"),
        ("redis+cluster://n1:x", "bad node address 'n1:x'"),
        ("redis+cluster://n1?db=1", "takes no query"),
    ],
)
def test_a_malformed_cluster_url_says_what_is_wrong(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace("?", "\\?")) as refused:
        check_bus_url(url)
    assert "redis+cluster://[:password@]host:port" in str(refused.value)
