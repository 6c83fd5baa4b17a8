from __future__ import annotations

import pytest

from kamalpy.config.model import Env, SecretRef
from kamalpy.deploy.env_files import check_env_files, env_file_body
from kamalpy.errors import SecretsError
from kamalpy.plan import DeployPlan, deploy_plan
from kamalpy.sensitive import Sensitive
from tests.support.configs import make_config, make_role


def _plan() -> DeployPlan:
    env = Env(secrets=(SecretRef("DB", "MAIN_DB"), SecretRef("T", "T")))
    return deploy_plan(make_config(roles=(make_role(hosts=("h1", "h2"), env=env),)))


def test_alias_takes_the_value_of_its_secret() -> None:
    step = _plan().roles[0].hosts[0]
    body = env_file_body(step, {"MAIN_DB": Sensitive("p w"), "T": Sensitive("#'=\"")})
    assert body == b"DB=p w\nT=#'=\"\n"


def test_a_value_docker_cannot_carry_is_refused_naming_secret_and_variable_not_value() -> None:
    with pytest.raises(SecretsError) as caught:
        check_env_files(_plan(), {"MAIN_DB": Sensitive("top\nsecret-value"), "T": Sensitive("")})
    assert "role web on h1: secret MAIN_DB (env DB)" in caught.value.message
    assert "newline" in caught.value.message
    assert "secret-value" not in caught.value.message + (caught.value.hint or "")
