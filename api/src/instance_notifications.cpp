#include "instance_notifications.hpp"

#include <string>

#include "nova/common/log.hpp"
#include "nova/objects/instance_payload.hpp"
#include "nova/objects/notification_instance.pb.h"
#include "nova/objects/object.hpp"
#include "nova/rpc/notifier.hpp"

namespace nova::api {

Json InstanceActionPayload(const objects::Instance& instance, const RequestContext& context) {
    objects::InstanceActionPayload p;
    objects::FillInstancePayload(p, instance, context);
    objects::SetNull(p, "fault");
    return objects::ToPrimitive(p);
}

void NotifyInstanceAction(const rpc::Notifier* notifier, const RequestContext& context,
                          const objects::Instance& instance, std::string_view action, std::string_view phase) {
    if (notifier == nullptr || !notifier->enabled()) return;
    try {
        notifier->Notify(context, "info", "instance." + std::string(action) + "." + std::string(phase),
                         InstanceActionPayload(instance, context));
    } catch (const std::exception& e) {
        static auto& log = log::Get("nova.api.notifications");
        NOVA_LOG_WARN(log, context, "could not send instance.{}.{} for instance {}: {}", action, phase,
                      instance.uuid(), e.what());
    }
}

}  // namespace nova::api
