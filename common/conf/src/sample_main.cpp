// nova-conf-sample: prints etc/nova/nova.conf.sample from the option declarations.
#include <iostream>

#include "nova/conf/groups.hpp"
#include "nova/conf/sample.hpp"

int main() {
    std::cout << nova::conf::GenerateSample(nova::conf::AllGroups());
    return 0;
}
