#include "nova/conf/upgrade_levels.hpp"

namespace nova::conf {

void UpgradeLevelsOptions::Declare(Schema<UpgradeLevelsOptions>& s) {
    s.Opt("compute", &UpgradeLevelsOptions::compute,
          "Cap for the compute RPC API: a version (6.0), a release name, or 'auto' to use "
          "the lowest version among running nova-compute services.");
    s.Opt("conductor", &UpgradeLevelsOptions::conductor, "Cap for the conductor RPC API.");
    s.Opt("scheduler", &UpgradeLevelsOptions::scheduler, "Cap for the scheduler RPC API.");
    s.Opt("baseapi", &UpgradeLevelsOptions::baseapi, "Cap for the baseapi RPC API.");
}

}  // namespace nova::conf
