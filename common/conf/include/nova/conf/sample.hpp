#pragma once
// etc/nova/nova.conf.sample, generated from the option declarations (oslo-config-generator's
// layout: help wrapped as comments, the type and constraints, then the commented default).
#include <string>
#include <vector>

#include "nova/conf/option.hpp"

namespace nova::conf {

std::string GenerateSample(const std::vector<GroupInfo>& groups);

}  // namespace nova::conf
