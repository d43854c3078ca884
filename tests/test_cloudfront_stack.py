"""The CloudFront target's CloudFormation template (build/server/cloudfront/template.json), as AWS's
own linter and as structure: what a vendor's stack will hold.

cfn-lint (AWS's linter, from PyPI) checks every resource against CloudFormation's schemas; the
assertions here check what the schemas cannot: that the bucket is private and read by this
distribution only, that each path goes where the access rules need it to, that the error pages the
distribution serves exist in the web root, that nothing secret is in the file. What only a real
account shows (the stack created, OAC signing, WAF counting) is the README's to say.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from extranet import access, cli, errors
from extranet.building import build, validate
from extranet.cloudfront import function, stack

from .conftest import NOW, REPO
from .servers import CREDENTIALS, SECRET, Site

STRINGS = yaml.safe_load((REPO / "site_templates/strings.yaml").read_text(encoding="utf-8"))
TEMPLATE = "server/cloudfront/template.json"
CFN_LINT = Path(sys.executable).parent / "cfn-lint"


@pytest.fixture(params=["/extranet/", "/"], ids=["sub-path", "root"])
def built(request: pytest.FixtureRequest) -> Site:
    """The demo variant built under `/extranet/` (its own site_url) and at `/`."""
    return request.getfixturevalue("site" if request.param == "/extranet/" else "root_site")


def template_of(site: Site) -> dict[str, Any]:
    return json.loads((site.output / TEMPLATE).read_text(encoding="utf-8"))


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: resource for name, resource in template["Resources"].items() if resource["Type"] == kind}


def test_cfn_lint_passes_with_no_error_or_warning(built: Site):
    version = subprocess.run([CFN_LINT, "--version"], capture_output=True, text=True, check=True)
    print(version.stdout.strip())
    result = subprocess.run([CFN_LINT, "--", built.output / TEMPLATE], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_cfn_lint_fails_on_a_broken_template(tmp_path: Path, built: Site):
    """The linter is really run on the file: an unknown property is an error (exit 2)."""
    template = template_of(built)
    template["Resources"]["SiteBucket"]["Properties"]["PublicReadAccess"] = True
    broken = tmp_path / "template.json"
    broken.write_text(json.dumps(template), encoding="utf-8")
    result = subprocess.run([CFN_LINT, "--", broken], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "PublicReadAccess" in result.stdout


def test_the_template_is_sorted_json_with_a_final_newline(built: Site):
    text = (built.output / TEMPLATE).read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_two_builds_of_the_same_inputs_give_the_same_bytes(site: Site, tmp_path: Path):
    build(site.root / "mkdocs.yml", now=site.now, output=tmp_path / "again")
    assert (tmp_path / "again" / TEMPLATE).read_bytes() == (site.output / TEMPLATE).read_bytes()


def test_the_stack_must_be_created_in_us_east_1(built: Site):
    rules = template_of(built)["Rules"]
    assert rules["InUsEast1"] == {
        "Assertions": [
            {
                "Assert": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
                "AssertDescription": "Create this stack in us-east-1: CloudFront's WAF web ACLs (scope CLOUDFRONT) "
                "and certificates live there.",
            }
        ]
    }
    assert "RuleCondition" not in rules["InUsEast1"]


def test_every_parameter_has_a_default_so_the_stack_deploys_with_none_given(built: Site):
    parameters = template_of(built)["Parameters"]
    assert sorted(parameters) == [
        "AliasCertificateArn",
        "AliasDomain",
        "DownloadsBucket",
        "DownloadsBucketRegion",
        "DownloadsKeyGroupId",
        "PriceClass",
    ]
    assert {name: p["Default"] for name, p in parameters.items()} == {
        "AliasCertificateArn": "",
        "AliasDomain": "",
        "DownloadsBucket": "",
        "DownloadsBucketRegion": "us-east-1",
        "DownloadsKeyGroupId": "",
        "PriceClass": "PriceClass_All",
    }


def test_the_outputs_are_the_ones_the_deploy_reads(built: Site):
    outputs = template_of(built)["Outputs"]
    assert {name: output["Value"] for name, output in outputs.items()} == {
        "BucketName": {"Ref": "SiteBucket"},
        "DistributionId": {"Ref": "Distribution"},
        "DistributionDomainName": {"Fn::GetAtt": ["Distribution", "DomainName"]},
        "KeyValueStoreArn": {"Fn::GetAtt": ["Store", "Arn"]},
        "LoginFunctionName": {"Ref": "LoginFunction"},
        "SessionSecretArn": {"Ref": "SessionSecret"},
    }
    assert tuple(sorted(outputs)) == tuple(sorted(stack.OUTPUTS))


# --- The bucket: private, read by this distribution only ------------------------------------


DISTRIBUTION_ARN = {"Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${Distribution}"}
FROM_THIS_DISTRIBUTION = {"StringEquals": {"AWS:SourceArn": DISTRIBUTION_ARN}}


def test_the_bucket_blocks_every_public_access(built: Site):
    buckets = resources_of(template_of(built), "AWS::S3::Bucket")
    assert list(buckets) == ["SiteBucket"]
    properties = buckets["SiteBucket"]["Properties"]
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }
    assert "WebsiteConfiguration" not in properties


def test_the_bucket_policy_lets_only_this_distribution_read_and_denies_the_refused_prefix(built: Site):
    policies = resources_of(template_of(built), "AWS::S3::BucketPolicy")
    assert policies["SiteBucketPolicy"]["Properties"]["Bucket"] == {"Ref": "SiteBucket"}
    statements = policies["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    objects = {"Fn::Sub": "${SiteBucket.Arn}/*"}
    prefix = built.base.removeprefix("/")
    assert statements == [
        {
            "Sid": "ReadByThisDistribution",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": objects,
            "Condition": FROM_THIS_DISTRIBUTION,
        },
        {
            "Sid": "MissingIs404",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:ListBucket",
            "Resource": {"Fn::GetAtt": ["SiteBucket", "Arn"]},
            "Condition": FROM_THIS_DISTRIBUTION,
        },
        {
            "Sid": "RefusedIs403",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": {"Fn::Sub": f"${{SiteBucket.Arn}}/{prefix}.extranet-refused/*"},
        },
        {
            "Sid": "TlsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [{"Fn::GetAtt": ["SiteBucket", "Arn"]}, objects],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ]
    # The refused prefix is no page of the site: nothing real is ever denied.
    assert not (built.web_root / ".extranet-refused").exists()


def test_the_origins_are_reached_through_origin_access_control_of_their_type(built: Site):
    template = template_of(built)
    controls = resources_of(template, "AWS::CloudFront::OriginAccessControl")
    kinds = {name: c["Properties"]["OriginAccessControlConfig"] for name, c in controls.items()}
    assert {name: (k["OriginAccessControlOriginType"], k["SigningBehavior"], k["SigningProtocol"])
            for name, k in kinds.items()} == {
        "SiteOriginAccessControl": ("s3", "always", "sigv4"),
        "LoginOriginAccessControl": ("lambda", "always", "sigv4"),
    }
    origins = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["Origins"]
    site, login, downloads = origins
    assert site == {
        "Id": "site",
        "DomainName": {"Fn::GetAtt": ["SiteBucket", "RegionalDomainName"]},
        "S3OriginConfig": {"OriginAccessIdentity": ""},
        "OriginAccessControlId": {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]},
    }
    assert login["OriginAccessControlId"] == {"Fn::GetAtt": ["LoginOriginAccessControl", "Id"]}
    assert login["DomainName"] == {"Fn::Select": [2, {"Fn::Split": ["/", {"Fn::GetAtt": ["LoginUrl", "FunctionUrl"]}]}]}
    assert login["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert downloads["Fn::If"][0] == "HasDownloads"
    assert downloads["Fn::If"][1]["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    # The function URL answers signed requests only, and only this distribution's.
    resources = template["Resources"]
    assert resources["LoginUrl"]["Properties"] == {
        "TargetFunctionArn": {"Fn::GetAtt": ["LoginFunction", "Arn"]},
        "AuthType": "AWS_IAM",
    }
    permissions = resources_of(template, "AWS::Lambda::Permission")
    assert {name: (p["Properties"]["Action"], p["Properties"]["Principal"], p["Properties"]["SourceArn"])
            for name, p in permissions.items()} == {
        "LoginUrlPermission": ("lambda:InvokeFunctionUrl", "cloudfront.amazonaws.com", DISTRIBUTION_ARN),
        "LoginInvokePermission": ("lambda:InvokeFunction", "cloudfront.amazonaws.com", DISTRIBUTION_ARN),
    }


# --- The behaviours: which path goes where, through which function ------------------------------


def config_of(site: Site) -> dict[str, Any]:
    return template_of(site)["Resources"]["Distribution"]["Properties"]["DistributionConfig"]


VIEWER_REQUEST = {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": ["ViewerFunction", "FunctionARN"]}}
VIEWER_RESPONSE = {"EventType": "viewer-response", "FunctionARN": {"Fn::GetAtt": ["ViewerFunction", "FunctionARN"]}}


def test_every_request_meets_the_viewer_function_before_the_bucket(built: Site):
    default = config_of(built)["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "site"
    assert default["FunctionAssociations"] == [VIEWER_REQUEST, VIEWER_RESPONSE]
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert default["CachePolicyId"] == {"Ref": "SiteCachePolicy"}
    assert default["ResponseHeadersPolicyId"] == {"Ref": "SecurityHeaders"}
    assert default["AllowedMethods"] == ["GET", "HEAD"]


def test_login_and_logout_go_to_the_login_function_and_nothing_else_does(built: Site):
    behaviours = config_of(built)["CacheBehaviors"]
    login, logout, downloads = behaviours
    assert [login["PathPattern"], logout["PathPattern"]] == [f"{built.base}{path}" for path in access.SERVER_ANSWERED]
    assert [login["PathPattern"], logout["PathPattern"]] == [f"{built.base}login/", f"{built.base}logout/"]
    for behaviour in (login, logout):
        assert behaviour["TargetOriginId"] == "login"
        assert behaviour["FunctionAssociations"] == [VIEWER_REQUEST]
        assert behaviour["CachePolicyId"] == stack.CACHING_DISABLED
        assert behaviour["OriginRequestPolicyId"] == {"Ref": "LoginOriginRequestPolicy"}
        assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    # Downloads: only when given, to the artifacts bucket, checked by CloudFront's signed URLs.
    condition, given, absent = downloads["Fn::If"]
    assert (condition, absent) == ("HasDownloads", {"Ref": "AWS::NoValue"})
    assert given["PathPattern"] == f"{built.base}downloads/*"
    assert given["TargetOriginId"] == "downloads"
    assert given["TrustedKeyGroups"] == [{"Ref": "DownloadsKeyGroupId"}]
    assert "FunctionAssociations" not in given
    policy = template_of(built)["Resources"]["LoginOriginRequestPolicy"]["Properties"]["OriginRequestPolicyConfig"]
    assert policy["HeadersConfig"] == {"HeaderBehavior": "whitelist",
                                       "Headers": ["accept", "x-extranet-authorization", "x-requested-with"]}
    assert policy["QueryStringsConfig"] == {"QueryStringBehavior": "all"}
    assert policy["CookiesConfig"] == {"CookieBehavior": "all"}


def test_the_cache_keys_on_the_path_alone(built: Site):
    """The function decides before the cache, so a cached page is never served on a cookie or a query."""
    config = template_of(built)["Resources"]["SiteCachePolicy"]["Properties"]["CachePolicyConfig"]
    parameters = config["ParametersInCacheKeyAndForwardedToOrigin"]
    assert (parameters["CookiesConfig"], parameters["HeadersConfig"], parameters["QueryStringsConfig"]) == (
        {"CookieBehavior": "none"},
        {"HeaderBehavior": "none"},
        {"QueryStringBehavior": "none"},
    )


def test_the_error_pages_are_the_sites_own_and_exist_in_the_web_root(built: Site):
    responses = config_of(built)["CustomErrorResponses"]
    assert responses == [
        {"ErrorCode": 403, "ResponseCode": 403, "ResponsePagePath": f"{built.base}403.html", "ErrorCachingMinTTL": 0},
        {"ErrorCode": 404, "ResponseCode": 404, "ResponsePagePath": f"{built.base}404.html", "ErrorCachingMinTTL": 0},
    ]
    language = validate(built.root / "mkdocs.yml").languages[0]
    for response in responses:
        page = built.web_root / response["ResponsePagePath"].removeprefix(built.base)
        title = STRINGS[f"error_{response['ErrorCode']}_title"][language]
        assert title in page.read_text(encoding="utf-8")
        # and the viewer function lets anyone read it: the rule table's public files hold it
        rule = access.table(built.areas).rule_for(page.relative_to(built.web_root).as_posix())
        assert rule.audience == access.PUBLIC


def test_the_security_headers_are_those_of_headers_j2(built: Site):
    config = template_of(built)["Resources"]["SecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    assert config["SecurityHeadersConfig"] == {
        "ContentSecurityPolicy": {
            "ContentSecurityPolicy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
            "Override": True,
        },
        "ContentTypeOptions": {"Override": True},
        "FrameOptions": {"FrameOption": "DENY", "Override": True},
        "ReferrerPolicy": {"ReferrerPolicy": "no-referrer", "Override": True},
    }
    assert "CustomHeadersConfig" not in config


# --- The function: its code, with the store's id -----------------------------------------------


def test_the_function_is_the_builds_code_with_the_stores_id(built: Site):
    resource = template_of(built)["Resources"]["ViewerFunction"]["Properties"]
    code = (built.output / "server/cloudfront" / function.CODE).read_text(encoding="utf-8")
    parts = resource["FunctionCode"]["Fn::Join"][1]
    assert resource["FunctionCode"]["Fn::Join"][0] == ""
    assert "".join(stack.KVS_MARKER if isinstance(part, dict) else part for part in parts) == code
    assert all(part == {"Fn::GetAtt": ["Store", "Id"]} for part in parts if isinstance(part, dict))
    assert resource["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert resource["FunctionConfig"]["KeyValueStoreAssociations"] == [{"KeyValueStoreARN": {"Fn::GetAtt": ["Store", "Arn"]}}]
    assert resource["AutoPublish"] is True


def test_each_marker_in_the_code_becomes_the_stores_id():
    extranet = validate(REPO / "mkdocs.yml")
    code = "const kvs = cf.kvs('__EXTRANET_KVS_ID__');\nconst again = '__EXTRANET_KVS_ID__';\n"
    template = stack.template(extranet, "/", code, REPO / "site_templates")
    store = {"Fn::GetAtt": ["Store", "Id"]}
    assert template["Resources"]["ViewerFunction"]["Properties"]["FunctionCode"] == {
        "Fn::Join": ["", ["const kvs = cf.kvs('", store, "');\nconst again = '", store, "';\n"]]
    }


# --- The login function, the secret, the rate limit ---------------------------------------------


def test_the_login_function_answers_503_until_the_deploy_uploads_it(built: Site):
    properties = template_of(built)["Resources"]["LoginFunction"]["Properties"]
    assert (properties["Runtime"], properties["Architectures"], properties["Handler"]) == (
        "python3.12", ["x86_64"], "index.handler")
    assert properties["Environment"] == {"Variables": {"EXTRANET_SECRET_ARN": {"Ref": "SessionSecret"}}}
    namespace: dict[str, Any] = {}
    exec(properties["Code"]["ZipFile"], namespace)  # noqa: S102 (the template's own placeholder)
    answer = namespace["handler"]({"rawPath": f"{built.base}login/"}, None)
    assert answer["statusCode"] == 503
    assert answer["headers"]["cache-control"] == "private, no-store"
    role = template_of(built)["Resources"]["LoginRole"]["Properties"]
    assert role["Policies"][0]["PolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": {"Ref": "SessionSecret"}}
    ]


def test_the_session_secret_is_made_by_secrets_manager_not_written_here(built: Site):
    secret = template_of(built)["Resources"]["SessionSecret"]["Properties"]
    assert secret["GenerateSecretString"] == {"PasswordLength": 64, "ExcludePunctuation": True}
    assert "SecretString" not in secret


def test_no_password_hash_password_or_secret_is_in_the_template(built: Site):
    text = (built.output / TEMPLATE).read_text(encoding="utf-8")
    assert "$2b$" not in text and "$2y$" not in text and "$2a$" not in text
    for principal in built.principals.values():
        assert principal.password_hash not in text
    for entry in CREDENTIALS:
        assert entry["password"] not in text, entry["login"]
    assert SECRET not in text
    assert "secret" not in json.loads((built.output / "server/cloudfront" / function.DATA).read_text())


def test_waf_limits_the_login_path_and_answers_429_in_two_languages(built: Site):
    template = template_of(built)
    acl = template["Resources"]["WebAcl"]["Properties"]
    assert acl["Scope"] == "CLOUDFRONT"
    assert acl["DefaultAction"] == {"Allow": {}}
    [rule] = acl["Rules"]
    assert rule["Action"] == {"Block": {"CustomResponse": {"ResponseCode": 429, "CustomResponseBodyKey": "TooManyLogins"}}}
    statement = rule["Statement"]["RateBasedStatement"]
    assert (statement["AggregateKeyType"], statement["Limit"], statement["EvaluationWindowSec"]) == ("IP", 10, 60)
    assert statement["ScopeDownStatement"] == {
        "ByteMatchStatement": {
            "FieldToMatch": {"UriPath": {}},
            "PositionalConstraint": "EXACTLY",
            "SearchString": f"{built.base}login/",
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        }
    }
    body = acl["CustomResponseBodies"]["TooManyLogins"]
    assert body["ContentType"] == "TEXT_PLAIN"
    assert body["Content"] == (
        "Příliš mnoho pokusů\nZ Vaší adresy přišlo v krátké době příliš mnoho pokusů o přihlášení. "
        "Počkejte prosím několik minut a zkuste to znovu.\n\n"
        "Too many attempts\nToo many login attempts came from your address in a short time. "
        "Please wait a few minutes and try again.\n"
    )
    assert len(body["Content"].encode("utf-8")) <= 4096
    assert config_of(built)["WebACLId"] == {"Fn::GetAtt": ["WebAcl", "Arn"]}


# --- A project's own headers.j2 -------------------------------------------------------------------


def headers_j2(directory: Path, items: str) -> Path:
    (directory / "servers").mkdir(parents=True, exist_ok=True)
    (directory / "servers/headers.j2").write_text(
        "{%- set security_headers = [\n" + items + "] -%}\n"
        '{%- set private_headers = [("Cache-Control", "private, no-store")] -%}\n',
        encoding="utf-8",
    )
    return directory


def test_a_projects_headers_j2_becomes_the_policy(tmp_path: Path):
    templates = headers_j2(tmp_path, '  ("X-Frame-Options", "SAMEORIGIN"),\n'
                                     '  ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"),\n'
                                     '  ("Permissions-Policy", "camera=()"),\n')
    assert stack.headers_policy(stack.security_headers(templates)) == {
        "SecurityHeadersConfig": {
            "FrameOptions": {"FrameOption": "SAMEORIGIN", "Override": True},
            "StrictTransportSecurity": {"AccessControlMaxAgeSec": 63072000, "IncludeSubdomains": True,
                                        "Preload": False, "Override": True},
        },
        "CustomHeadersConfig": {"Items": [{"Header": "Permissions-Policy", "Value": "camera=()", "Override": True}]},
    }


UNSUPPORTED = [
    ('("X-Frame-Options", "ALLOW-FROM https://a.example")',
     "X-Frame-Options: 'ALLOW-FROM https://a.example' cannot be sent by a CloudFront response headers policy "
     "(it takes 'DENY', 'SAMEORIGIN')"),
    ('("X-Content-Type-Options", "sniff")',
     "X-Content-Type-Options: 'sniff' cannot be sent by a CloudFront response headers policy (it takes 'nosniff')"),
    ('("Referrer-Policy", "never")',
     "Referrer-Policy: 'never' cannot be sent by a CloudFront response headers policy (it takes 'no-referrer', "
     "'no-referrer-when-downgrade', 'origin', 'origin-when-cross-origin', 'same-origin', 'strict-origin', "
     "'strict-origin-when-cross-origin', 'unsafe-url')"),
    ('("Strict-Transport-Security", "max-age=1; always")',
     "Strict-Transport-Security: 'max-age=1; always' cannot be sent by a CloudFront response headers policy "
     "(it takes max-age=<seconds>, then includeSubDomains and preload)"),
    ('("Content-Security-Policy", "' + "a" * 1784 + '")',
     f"Content-Security-Policy: '{'a' * 1784}' cannot be sent by a CloudFront response headers policy (it takes "
     "at most 1783 characters)"),
]


@pytest.mark.parametrize(("item", "message"), UNSUPPORTED, ids=[case[0].split('"')[1] for case in UNSUPPORTED])
def test_a_header_cloudfront_cannot_send_stops_the_build_naming_its_line(tmp_path: Path, item: str, message: str):
    templates = headers_j2(tmp_path, '  ("X-Robots-Tag", "noindex"),\n  ' + item + ",\n")
    with pytest.raises(stack.TemplateRefused) as raised:
        stack.headers_policy(stack.security_headers(templates))
    assert str(raised.value) == f"{tmp_path}/servers/headers.j2:3: {message}"


def test_a_build_with_such_a_header_fails_with_that_message(project, capsys, tmp_path: Path):
    headers_j2(project.root / "site_templates", '  ("X-Frame-Options", "ALLOW"),\n')
    output = tmp_path / "out"
    assert cli.main(["-f", str(project.config), "build", "--now", NOW, "--output", str(output)]) == 1
    err = capsys.readouterr().err
    assert err.endswith(
        f"{project.root}/site_templates/servers/headers.j2:2: X-Frame-Options: 'ALLOW' cannot be sent by a "
        "CloudFront response headers policy (it takes 'DENY', 'SAMEORIGIN')\n"
    ), err


def test_the_429_texts_must_fit_in_a_waf_answer(project):
    project.write("site_templates/strings.yaml", "error_429_edge_todo: {cs: " + "x" * 4000 + ", en: wait}\n")
    extranet = validate(project.config)
    with pytest.raises(stack.TemplateRefused) as raised:
        stack.template(extranet, "/", "", project.root / "site_templates")
    assert str(raised.value) == (
        "strings.yaml: error_429_title, error_429_what and error_429_edge_todo make a WAF answer of 4197 bytes "
        "in cs and en; WAF takes at most 4096"
    )


def test_the_error_pages_named_are_among_the_sites_error_pages():
    assert {f"{status}.html" for status in (403, 404)} <= set(errors.paths(("cs", "en")))


def test_the_template_fits_in_a_request_with_a_function_of_the_largest_size(site: Site):
    """CloudFormation takes 51,200 bytes in the request (`TemplateBody`): enough with a function of
    10,240 bytes (CloudFront's limit) of the worst kind, every character escaped in JSON."""
    extranet = validate(site.root / "mkdocs.yml")
    code = "cf.kvs('__EXTRANET_KVS_ID__');" + '"' * (10240 - len("cf.kvs('__EXTRANET_KVS_ID__');"))
    text = stack.text(extranet, site.base, code, site.root / "site_templates")
    assert len(text.encode("utf-8")) <= stack.TEMPLATE_BODY_LIMIT
    assert len(text.encode("utf-8")) > 10240 * 2


def test_cfn_lint_passes_on_every_kind_of_header_a_project_may_send(tmp_path: Path):
    """The fields each header becomes are the ones CloudFormation's schema has (linted, not only compared)."""
    templates = headers_j2(tmp_path / "site_templates", '  ("X-Frame-Options", "SAMEORIGIN"),\n'
                                                         '  ("Strict-Transport-Security", "max-age=63072000; preload"),\n'
                                                         '  ("X-XSS-Protection", "1; mode=block"),\n'
                                                         '  ("Referrer-Policy", "same-origin"),\n'
                                                         '  ("Permissions-Policy", "camera=()"),\n')
    extranet = validate(REPO / "mkdocs.yml")
    path = tmp_path / "template.json"
    path.write_text(stack.text(extranet, "/", "cf.kvs('__EXTRANET_KVS_ID__');\n", templates), encoding="utf-8")
    policy = json.loads(path.read_text())["Resources"]["SecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]
    assert policy["SecurityHeadersConfig"]["XSSProtection"] == {"Protection": True, "ModeBlock": True, "Override": True}
    result = subprocess.run([CFN_LINT, "--", path], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
