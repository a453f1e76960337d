#pragma once
// Every option group of the project, for etc/nova/nova.conf.sample. A new group adds one line
// to src/all_groups.cpp.
#include <vector>

#include "nova/conf/option.hpp"

namespace nova::conf {

std::vector<GroupInfo> AllGroups();

}  // namespace nova::conf
