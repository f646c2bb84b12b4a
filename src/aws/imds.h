#pragma once
// The instance metadata service: IMDSv2 token flow plus a tokenless (IMDSv1) probe.
#include <string>

#include "host/host.h"

namespace dh::aws {

struct ImdsProbe {
  std::string endpoint;
  bool v2_works = false;       // PUT /latest/api/token then a GET with the token answered
  bool v1_answers = false;     // a GET without a token answered 200
  long v1_status = 0;          // HTTP status of the tokenless GET (401 when tokens are required)
  std::string instance_id;
  std::string region;
};

// The endpoint to use: AWS_EC2_METADATA_SERVICE_ENDPOINT when set, else http://169.254.169.254.
std::string imds_endpoint(host::Host& host);

// Error "not the live system" under --root; "not on EC2 (...)" when the firmware says so, without
// sending a packet; otherwise the probe, each request bounded to well under a second.
Expected<ImdsProbe> probe_imds(host::Host& host);

}  // namespace dh::aws
