#include "aws/imds.h"

#include <algorithm>
#include <cctype>

namespace dh::aws {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// EC2 says who it is in firmware tables (Nitro: DMI vendor "Amazon EC2"; Xen: a hypervisor UUID
// starting with "ec2"). Asking the firmware costs no packet, so a laptop or a CI box learns
// "not on EC2" at once instead of waiting for a link-local timeout.
std::optional<std::string> ec2_signature(host::Host& host) {
  const char* files[] = {"/sys/class/dmi/id/sys_vendor", "/sys/class/dmi/id/bios_vendor",
                         "/sys/class/dmi/id/board_vendor", "/sys/class/dmi/id/bios_version",
                         "/sys/hypervisor/uuid", "/sys/class/dmi/id/product_uuid"};
  for (const char* file : files) {
    auto text = host.files.read(file);
    if (!text) continue;
    std::string value = lower(*text);
    if (value.find("amazon") != std::string::npos || value.rfind("ec2", 0) == 0)
      return std::string(file) + ": " + text->substr(0, text->find('\n'));
  }
  return std::nullopt;
}

}  // namespace

std::string imds_endpoint(host::Host& host) {
  auto configured = host.env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  std::string endpoint = configured && !configured->empty() ? *configured : "http://169.254.169.254";
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

Expected<ImdsProbe> probe_imds(host::Host& host) {
  if (!host.live()) return Error{"not the live system"};
  ImdsProbe probe;
  probe.endpoint = imds_endpoint(host);
  const bool overridden = host.env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT").has_value();
  if (!overridden && !ec2_signature(host))
    return Error{"not on EC2 (no Amazon EC2 signature in /sys/class/dmi/id or /sys/hypervisor)"};

  host::HttpRequest token_request;
  token_request.method = "PUT";
  token_request.url = probe.endpoint + "/latest/api/token";
  token_request.headers = {"X-aws-ec2-metadata-token-ttl-seconds: 60"};
  auto token = host.http.request(token_request);
  if (!token) return Error{"no answer from IMDS at " + probe.endpoint + ": " + token.error()};

  std::string token_value = token->status == 200 ? token->body : "";
  if (!token_value.empty()) {
    host::HttpRequest get;
    get.url = probe.endpoint + "/latest/meta-data/instance-id";
    get.headers = {"X-aws-ec2-metadata-token: " + token_value};
    auto id = host.http.request(get);
    if (id && id->status == 200) {
      probe.v2_works = true;
      probe.instance_id = id->body;
    }
    get.url = probe.endpoint + "/latest/meta-data/placement/region";
    auto region = host.http.request(get);
    if (region && region->status == 200) probe.region = region->body;
  }

  host::HttpRequest v1;
  v1.url = probe.endpoint + "/latest/meta-data/instance-id";
  auto tokenless = host.http.request(v1);
  if (!tokenless) return Error{"IMDS tokenless probe failed: " + tokenless.error()};
  probe.v1_status = tokenless->status;
  probe.v1_answers = tokenless->status == 200;
  if (probe.v1_answers && probe.instance_id.empty()) probe.instance_id = tokenless->body;
  return probe;
}

}  // namespace dh::aws
