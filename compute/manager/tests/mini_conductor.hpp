#pragma once
// A minimal conductor for tests and benches that run the real nova-compute binary: what
// nova-compute needs from a conductor to start and stay up (no instances, no records yet).
// It records which object calls it saw and which hosts registered a service record.
#include <mutex>
#include <set>
#include <string>

#include "nova/common/error.hpp"
#include "nova/common/uuid.hpp"
#include "nova/objects/compute_node.pb.h"
#include "nova/objects/instance.pb.h"
#include "nova/objects/object.hpp"
#include "nova/objects/service.pb.h"
#include "nova/rpc/server.hpp"
#include "nova/rpc/transport.hpp"

namespace nova::compute {

class MiniConductor {
public:
    explicit MiniConductor(std::shared_ptr<rpc::Transport> transport) {
        rpc::Endpoint conductor(std::nullopt, "3.0");
        conductor.Add("object_class_action_versions", [this](const RequestContext&,
                                                             const Json& args) -> Json {
            const std::string name = args.at("objname").get<std::string>() + "." +
                                     args.at("objmethod").get<std::string>();
            std::lock_guard lock(mutex_);
            calls.insert(name);
            if (name == "InstanceList.get_by_host") {
                objects::InstanceList list;
                objects::SetEmpty(list, "objects");
                return objects::ToPrimitive(list);
            }
            if (name == "ComputeNode.get_by_host_and_nodename") {
                throw ComputeHostNotFound({{"host", args.at("args")[0].get<std::string>()}});
            }
            return Json();  // Service.get_by_host_and_binary: none yet
        });
        conductor.Add("object_action", [this](const RequestContext&, const Json& args) -> Json {
            const std::string name = args.at("objinst").at("nova_object.name").get<std::string>() +
                                     "." + args.at("objmethod").get<std::string>();
            std::lock_guard lock(mutex_);
            calls.insert(name);
            if (name == "Service.create") {
                hosts.insert(args.at("objinst").at("nova_object.data").at("host").get<std::string>());
                return Json::array({Json{{"id", static_cast<int>(hosts.size())}}, nullptr});
            }
            if (name == "ComputeNode.create") {
                return Json::array({Json{{"id", 1}, {"uuid", GenerateUuid()}}, nullptr});
            }
            return Json::array({Json::object(), nullptr});
        });
        rpc::Endpoint placement("nova_cpp_placement", "1.0");
        placement.Add("report_inventory", [this](const RequestContext&, const Json&) {
            std::lock_guard lock(mutex_);
            calls.insert("report_inventory");
            return Json(1);
        });
        server_ = std::make_unique<rpc::Server>(transport, rpc::ServerTarget{.topic = "conductor"},
                                                std::vector<rpc::Endpoint>{conductor, placement},
                                                4);
        server_->Start();
    }
    std::set<std::string> Calls() {
        std::lock_guard lock(mutex_);
        return calls;
    }
    std::set<std::string> Hosts() {
        std::lock_guard lock(mutex_);
        return hosts;
    }

private:
    std::mutex mutex_;
    std::set<std::string> calls;
    std::set<std::string> hosts;
    std::unique_ptr<rpc::Server> server_;
};

}  // namespace nova::compute
