#include "nova/conf/quota.hpp"

namespace nova::conf {

void QuotaOptions::Declare(Schema<QuotaOptions>& s) {
    s.Opt("instances", &QuotaOptions::instances, 10, "The number of instances allowed per project.").Min(-1);
    s.Opt("cores", &QuotaOptions::cores, 20, "The number of instance cores (VCPUs) allowed per project.").Min(-1);
    s.Opt("ram", &QuotaOptions::ram, 51200, "The number of megabytes of instance RAM allowed per project.").Min(-1);
    s.Opt("metadata_items", &QuotaOptions::metadata_items, 128,
          "The number of metadata items allowed per instance.")
        .Min(-1);
    s.Opt("injected_files", &QuotaOptions::injected_files, 5, "The number of injected files allowed.").Min(-1);
    s.Opt("injected_file_content_bytes", &QuotaOptions::injected_file_content_bytes, 10240,
          "The number of bytes allowed per injected file.")
        .Min(-1);
    s.Opt("injected_file_path_length", &QuotaOptions::injected_file_path_length, 255,
          "The maximum allowed injected file path length.")
        .Min(-1);
    s.Opt("key_pairs", &QuotaOptions::key_pairs, 100, "The maximum number of key pairs allowed per user.").Min(-1);
    s.Opt("server_groups", &QuotaOptions::server_groups, 10, "The maximum number of server groups per project.")
        .Min(-1);
    s.Opt("server_group_members", &QuotaOptions::server_group_members, 10,
          "The maximum number of servers per server group.")
        .Min(-1);
}

std::map<std::string, std::int64_t> QuotaOptions::Limits() const {
    return {{"instances", instances},
            {"cores", cores},
            {"ram", ram},
            {"metadata_items", metadata_items},
            {"injected_files", injected_files},
            {"injected_file_content_bytes", injected_file_content_bytes},
            {"injected_file_path_bytes", injected_file_path_length},
            {"key_pairs", key_pairs},
            {"server_groups", server_groups},
            {"server_group_members", server_group_members},
            {"fixed_ips", -1},
            {"floating_ips", -1},
            {"security_groups", -1},
            {"security_group_rules", -1}};
}

}  // namespace nova::conf
