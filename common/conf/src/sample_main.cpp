// nova-conf-sample: prints etc/nova/nova.conf.sample from the option declarations.
#include <iostream>

#include "nova/conf/all_groups.hpp"
#include "nova/conf/sample.hpp"

int main() {
    std::cout << nova::conf::GenerateSample(nova::conf::AllGroups());
    return 0;
}
