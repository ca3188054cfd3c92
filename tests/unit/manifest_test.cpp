#include "audit/manifest.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <set>

#include "audit/manifest_yaml.hpp"

namespace portkit {
namespace {

using RuleAtLine = std::pair<std::string, int>;

std::multiset<RuleAtLine> rules_at_lines(const std::vector<Finding>& findings) {
  std::multiset<RuleAtLine> out;
  for (const auto& finding : findings) out.emplace(finding.rule->id, finding.line);
  return out;
}

TEST(ComposePort, ShortSyntaxForms) {
  auto port = parse_compose_port("3000");
  ASSERT_TRUE(port.ok());
  EXPECT_FALSE(port->host_ports);
  EXPECT_EQ(port->container_ports, (PortRange{3000, 3000}));

  port = parse_compose_port("127.0.0.1:5432:5432");
  ASSERT_TRUE(port.ok());
  EXPECT_EQ(port->host_ip, "127.0.0.1");
  EXPECT_EQ(port->host_ports, (PortRange{5432, 5432}));

  port = parse_compose_port("8000-8001:80-81/udp");
  ASSERT_TRUE(port.ok());
  EXPECT_EQ(port->proto, Proto::udp);
  EXPECT_EQ(port->host_ports, (PortRange{8000, 8001}));
  EXPECT_EQ(port->container_ports, (PortRange{80, 81}));

  port = parse_compose_port("[::1]:8443:443");
  ASSERT_TRUE(port.ok());
  EXPECT_EQ(port->host_ip, "::1");

  port = parse_compose_port("127.0.0.1::80");  // a random host port on loopback
  ASSERT_TRUE(port.ok());
  EXPECT_FALSE(port->host_ports);
  EXPECT_EQ(port->host_ip, "127.0.0.1");

  port = parse_compose_port("9000-9010:80");  // the engine picks one host port of the range
  ASSERT_TRUE(port.ok());
}

TEST(ComposePort, MalformedFormsNameTheProblem) {
  for (const char* text :
       {"", ":", "80:80:80:80", "http:80", "70000:80", "0:80", "80:80/sctpx", "8081-8083:80-81",
        "90-80:80", "::1:80:80", "[::1]80:80", "[::1]:80", "a:80:80:80", ":80:80"}) {
    const auto port = parse_compose_port(text);
    EXPECT_FALSE(port.ok()) << text;
    if (!port.ok()) {
      EXPECT_FALSE(port.error().message.empty());
    }
  }
}

TEST(ComposeFile, FindingsWithLines) {
  const auto plan = parse_compose(R"(services:
  db:
    image: mysql:8
    ports:
      - "3306:3306"
  web:
    ports:
      - "80:80"
      - "8080:8080"
  api:
    ports:
      - 8080:3000
  cache:
    ports: ["6379"]
  metrics:
    ports:
      - target: 9000
        published: 9000
        protocol: udp
      - target: 9000
        published: "9000"
)",
                                  "compose.yml");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_TRUE(plan->problems.empty());
  const auto findings = audit_compose({*plan}, {{Proto::tcp, 8080, "7 nginx"}}, {});
  EXPECT_EQ(rules_at_lines(findings), (std::multiset<RuleAtLine>{{"datastore-published", 5},
                                                                 {"privileged-host-port", 8},
                                                                 {"host-port-in-use", 9},
                                                                 {"duplicate-host-port", 12},
                                                                 {"host-port-in-use", 12},
                                                                 {"datastore-published", 14}}));
  for (const auto& finding : findings) EXPECT_EQ(finding.file, "compose.yml");
}

TEST(ComposeFile, LoopbackAndSpecificAddressesDoNotClashWithEachOther) {
  const auto plan = parse_compose(R"(services:
  a: {ports: ["127.0.0.1:8080:80"]}
  b: {ports: ["127.0.0.2:8080:80"]}
  c: {ports: ["8080:80"]}
)",
                                  "c.yml");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(rules_at_lines(audit_compose({*plan}, {}, {})),
            (std::multiset<RuleAtLine>{{"duplicate-host-port", 4}}));
}

TEST(ComposeFile, MalformedEntriesAreProblemsNotFailures) {
  const auto plan = parse_compose(R"(services:
  web:
    ports:
      - "80:80:80:80"
      - ["nested"]
      - target: 443
        published: "x"
      - {published: 80}
      - "127.0.0.1:8082:82"
  worker:
    ports: "8000:8000"
)",
                                  "m.yml");
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->ports.size(), 1u);
  std::vector<int> lines;
  for (const auto& problem : plan->problems) lines.push_back(problem.line);
  EXPECT_EQ(lines, (std::vector<int>{4, 5, 6, 8, 11}));
  EXPECT_EQ(plan->problems[0].owner, "web");
}

TEST(ComposeFile, InterpolatesFromTheEnvironment) {
  ::setenv("PORTKIT_TEST_WEB_PORT", "18080", 1);
  ::unsetenv("PORTKIT_TEST_UNSET");
  const auto plan = parse_compose(R"(services:
  web: {ports: ["${PORTKIT_TEST_WEB_PORT}:80", "${PORTKIT_TEST_UNSET:-19090}:90"]}
)",
                                  "i.yml");
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->ports.size(), 2u);
  EXPECT_EQ(plan->ports[0].host_ports->low, 18080);
  EXPECT_EQ(plan->ports[1].host_ports->low, 19090);
}

TEST(ComposeFile, NotYamlIsAnErrorWithALine) {
  const auto plan = parse_compose("services:\n  web:\n    ports: [\n", "bad.yml");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().message.rfind("bad.yml:", 0), 0u) << plan.error().message;
  EXPECT_FALSE(parse_compose("- a\n- b\n", "list.yml").ok());
}

// A file of the wrong kind, or an empty one, must not pass a CI gate as "no findings".
TEST(ManifestKind, WrongOrEmptyDocumentsAreErrorsNamingTheFile) {
  const std::string k8s = "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n";
  const std::string compose = "services:\n  web:\n    ports: [\"8080:80\"]\n";
  for (const auto& [text, kind, expected] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {k8s, "compose", "a Kubernetes manifest, not a compose file (give it to --k8s)"},
           {compose, "k8s", "a compose file, not a Kubernetes manifest (give it to --compose)"},
           {"", "compose", "empty"},
           {"", "k8s", "no Kubernetes object"},
           {"# only a comment\n", "k8s", "no Kubernetes object"},
           {"version: '3'\n", "compose", "no 'services'"}}) {
    const auto error = kind == "compose" ? parse_compose(text, "f.yml").error().message
                                         : parse_k8s(text, "f.yml").error().message;
    EXPECT_EQ(error.rfind("f.yml: ", 0), 0u) << error;
    EXPECT_NE(error.find(expected), std::string::npos) << error;
  }
  EXPECT_TRUE(parse_compose("services: {}\n", "f.yml").ok()) << "no services is a valid plan";
}

// Compose accepts SCTP ("80/sctp"); the audit checks TCP and UDP, so such entries are skipped.
TEST(ComposePort, SctpIsValidAndLeftOutOfTheAudit) {
  const auto port = parse_compose_port("9000:80/sctp");
  ASSERT_TRUE(port.ok()) << port.error().message;
  EXPECT_TRUE(port->sctp);
  const auto plan = parse_compose("services:\n  a:\n    ports: [\"80/sctp\", \"81\"]\n", "f.yml");
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->problems.empty());
  ASSERT_EQ(plan->ports.size(), 1u);
  EXPECT_EQ(plan->ports[0].container_ports.low, 81);
}

// A listener bound to one address does not clash with a publication on another; a wildcard on
// either side does.
TEST(ComposeAudit, HostPortInUseComparesAddresses) {
  const auto plan =
      parse_compose("services:\n  db:\n    ports: [\"127.0.0.1:15432:5432\"]\n", "f.yml");
  ASSERT_TRUE(plan.ok());
  const auto clash = [&](const std::string& address) {
    return !audit_compose({*plan}, {{Proto::tcp, 15432, "1 postgres", address}}, {}).empty();
  };
  EXPECT_FALSE(clash("127.0.0.2"));
  EXPECT_FALSE(clash("192.0.2.1"));
  EXPECT_TRUE(clash("127.0.0.1"));
  EXPECT_TRUE(clash("0.0.0.0"));
  EXPECT_TRUE(clash("::"));
}

// Advice quotes the entry that was found, in the syntax of its own file.
TEST(ManifestAudit, AdviceQuotesTheEntryFound) {
  const auto compose = parse_compose(
      "services:\n  cache:\n    ports: [\"6380:6379\"]\n  q:\n    ports: [\"5672\"]\n", "f.yml");
  ASSERT_TRUE(compose.ok());
  const auto findings = audit_compose({*compose}, {}, {});
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_NE(findings[0].fix.find("\"127.0.0.1:6380:6379\" instead of \"6380:6379\""),
            std::string::npos)
      << findings[0].fix;
  EXPECT_NE(findings[1].fix.find("\"127.0.0.1::5672\""), std::string::npos) << findings[1].fix;
  EXPECT_EQ(findings[0].fix.find("3306"), std::string::npos);
  const auto k8s = parse_k8s(
      "kind: Service\nmetadata: {name: redis}\nspec:\n  type: LoadBalancer\n  ports: [{port: "
      "6379}]\n---\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{ports: "
      "[{containerPort: 0}]}]\n",
      "k.yml");
  ASSERT_TRUE(k8s.ok()) << k8s.error().message;
  const auto k8s_findings = audit_k8s({*k8s}, {}, {});
  ASSERT_EQ(k8s_findings.size(), 2u);
  for (const auto& finding : k8s_findings) {
    EXPECT_EQ(finding.fix.find("HOST_PORT"), std::string::npos) << "compose syntax in k8s advice";
    EXPECT_FALSE(finding.fix.empty());
  }
}

TEST(K8sManifest, ServicesAndWorkloads) {
  const auto plan = parse_k8s(R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports:
    - {port: 80, targetPort: 8000, nodePort: 8080}
    - {port: 81, targetPort: http, nodePort: 30081}
    - {port: 8080}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      containers:
        - name: web
          ports:
            - {containerPort: 8080, name: http, hostPort: 80}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - ports: [{containerPort: 9000, hostPort: 9000}]
)",
                              "app.yaml");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_EQ(plan->services.size(), 1u);
  ASSERT_EQ(plan->workloads.size(), 2u);
  EXPECT_EQ(plan->workloads[0].labels.at("tier"), "front");
  EXPECT_EQ(plan->workloads[1].kind, "CronJob");
  EXPECT_EQ(rules_at_lines(audit_k8s({*plan}, {}, {})),
            (std::multiset<RuleAtLine>{{"nodeport-out-of-range", 8},
                                       {"target-port-mismatch", 8},
                                       {"privileged-host-port", 22}}));
}

TEST(K8sManifest, DatastoreOnHostPortOrNodePortService) {
  const auto plan = parse_k8s(R"(kind: Pod
metadata: {name: pg, labels: {app: pg}}
spec:
  containers:
    - ports:
        - {containerPort: 5432, hostPort: 5432}
        - {containerPort: 6379, hostPort: 6379, hostIP: 127.0.0.1}
---
kind: Service
metadata: {name: pg}
spec:
  type: LoadBalancer
  selector: {app: pg}
  ports: [{port: 5432}]
---
kind: Service
metadata: {name: pg-internal}
spec:
  selector: {app: pg}
  ports: [{port: 5432}]
)",
                              "pg.yaml");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(rules_at_lines(audit_k8s({*plan}, {}, {})),
            (std::multiset<RuleAtLine>{{"datastore-published", 6}, {"datastore-published", 14}}));
}

TEST(K8sManifest, TargetPortsAcrossFilesAndDuplicateHostPorts) {
  const auto services = parse_k8s(R"(kind: Service
metadata: {name: api}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: 3000}]
)",
                                  "svc.yaml");
  const auto pods = parse_k8s(R"(kind: Pod
metadata: {name: api, labels: {app: api}}
spec:
  containers: [{ports: [{containerPort: 3000, hostPort: 18080}]}]
---
kind: Pod
metadata: {name: other}
spec:
  containers: [{ports: [{containerPort: 4000, hostPort: 18080}]}]
)",
                              "pods.yaml");
  ASSERT_TRUE(services.ok() && pods.ok());
  const auto findings = audit_k8s({*services, *pods}, {}, {});
  ASSERT_EQ(rules_at_lines(findings), (std::multiset<RuleAtLine>{{"duplicate-host-port", 9}}));
  EXPECT_EQ(findings[0].file, "pods.yaml");
}

TEST(K8sManifest, MalformedPortsAreProblems) {
  const auto plan = parse_k8s(R"(kind: Service
metadata: {name: broken}
spec:
  ports:
    - port: http
    - {port: 80, targetPort: 99999}
    - {port: 81, nodePort: abc}
    - {port: 82, protocol: ICMP}
    - {port: 83, protocol: SCTP}
---
kind: Pod
metadata: {name: p}
spec:
  containers:
    - ports:
        - containerPort: 0
        - {containerPort: 8080, hostPort: -1}
        - name: no-number
---
just a string document
)",
                              "broken.yaml");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  std::vector<int> lines;
  for (const auto& problem : plan->problems) lines.push_back(problem.line);
  EXPECT_EQ(lines, (std::vector<int>{5, 6, 7, 8, 16, 17, 18}));
}

TEST(K8sManifest, ListKindAndInvalidYaml) {
  const auto plan = parse_k8s(R"(kind: List
items:
  - kind: Service
    metadata: {name: a}
    spec: {type: NodePort, ports: [{port: 80, nodePort: 40000}]}
)",
                              "list.yaml");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(rules_at_lines(audit_k8s({*plan}, {}, {})),
            (std::multiset<RuleAtLine>{{"nodeport-out-of-range", 5}}));
  const auto bad = parse_k8s("kind: Service\nspec: {ports: [}\n", "bad.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.rfind("bad.yaml:", 0), 0u);
}

TEST(YamlStream, SplitsAtDocumentMarkersKeepingLines) {
  const auto documents = split_yaml_documents(
      "# header\n%YAML 1.2\n---\na: 1\n---\n---\nb: [1,\n  2]\n...\n# trailing\n--- c\n");
  ASSERT_EQ(documents.size(), 4u);
  EXPECT_EQ(documents[0].first_line, 0);
  EXPECT_EQ(documents[0].text, "# header\n%YAML 1.2\n---\na: 1\n");
  EXPECT_EQ(documents[1].first_line, 4);
  EXPECT_EQ(documents[1].text, "---\n");
  EXPECT_EQ(documents[2].first_line, 5);
  EXPECT_EQ(documents[2].text, "---\nb: [1,\n  2]\n...\n");
  EXPECT_EQ(documents[3].first_line, 9);
  EXPECT_EQ(documents[3].text, "# trailing\n--- c\n");
  // "----" and "--- " inside an indented block are not markers.
  EXPECT_EQ(split_yaml_documents("a: |\n  ---\n----: 2\n").size(), 1u);
  EXPECT_TRUE(split_yaml_documents("\n# only a comment\n").empty());
}

// yaml-cpp 0.7's LoadAll never returns on these: each must end, and a document it cannot
// read is an error naming its line, not an empty file.
TEST(YamlStream, StreamsThatHangYamlCppLoadAllAreErrors) {
  for (const std::string text : {",", ",\xd7", "a: 1\n---\n,\n", "- !+(.,.)", "---\n,\n---\n,"}) {
    EXPECT_FALSE(parse_compose(text, "hang.yml").ok()) << text;
    EXPECT_FALSE(parse_k8s(text, "hang.yaml").ok()) << text;
  }
  const auto bad = parse_k8s("kind: Service\n---\n# note\n,\n", "second.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "second.yaml:2: not valid YAML: the document cannot be read");
  // Null written any way is an empty document (an error of its own: an empty plan must not pass
  // a gate, and it is not "invalid YAML"), and the documents after it are read.
  for (const std::string empty : {"", "# only\n", "~", "null", "--- # none\n", "---\n...\n"}) {
    const auto plan = parse_compose(empty, "empty.yml");
    ASSERT_FALSE(plan.ok()) << empty;
    EXPECT_EQ(plan.error().message, "empty.yml: empty: a compose file names its services") << empty;
  }
  const auto plan = parse_k8s(
      "~\n---\nkind: Service\nspec: {type: NodePort, ports: [{port: 80, nodePort: 40000}]}\n",
      "after.yaml");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(rules_at_lines(audit_k8s({*plan}, {}, {})),
            (std::multiset<RuleAtLine>{{"nodeport-out-of-range", 4}}));
}

}  // namespace
}  // namespace portkit
