#pragma once
// The NovaError hierarchy, in one list (an X-macro, expanded by error.hpp into classes and into
// the name -> factory registry used to rebuild errors that arrive over RPC).
//
// Columns: X(Name, Parent, http_code, retry, "module", "message template")
//   - Name, module and template are Nova's own (nova/exception.py, Zed), so that the class
//     name and kwargs that cross the wire rebuild into the same exception on a Python peer,
//     and API error bodies read as Nova's do. An empty template inherits the parent's.
//   - http_code 0 inherits the parent's code. It is what the REST layer answers by default.
//   - retry: whether a caller may retry the same request unchanged and hope for another
//     answer (a transient condition), as in brpc's error table.
// Parents must appear before their children.
#define NOVA_ERROR_LIST(X)                                                                       \
    /* --- generic families ------------------------------------------------------------ */   \
    X(Invalid, NovaError, 400, false, "nova.exception", "Bad Request - Invalid Parameters")      \
    X(NotFound, NovaError, 404, false, "nova.exception", "Resource could not be found.")        \
    X(Forbidden, NovaError, 403, false, "nova.exception", "Forbidden")                           \
    X(Unauthorized, NovaError, 401, false, "nova.exception", "Not authorized.")                  \
    X(NotSupported, NovaError, 400, false, "nova.exception",                                     \
      "Bad Request - Feature is not supported in Nova")                                          \
    X(ConstraintNotMet, NovaError, 412, false, "nova.exception", "Constraint not met.")         \
    X(AdminRequired, Forbidden, 0, false, "nova.exception", "User does not have admin privileges") \
    X(PolicyNotAuthorized, Forbidden, 0, false, "nova.exception",                                \
      "Policy doesn't allow %(action)s to be performed.")                                        \
    /* --- request validation ------------------------------------------------------------ */  \
    X(InvalidInput, Invalid, 0, false, "nova.exception", "Invalid input received: %(reason)s")   \
    X(InvalidRequest, Invalid, 0, false, "nova.exception", "The request is invalid.")           \
    X(ValidationError, Invalid, 0, false, "nova.exception", "%(detail)s")                        \
    X(InvalidParameterValue, Invalid, 0, false, "nova.exception", "%(err)s")                     \
    X(InvalidSortKey, Invalid, 0, false, "nova.exception", "Sort key supplied was not valid.")   \
    X(InvalidStrTime, Invalid, 0, false, "nova.exception", "Invalid datetime string: %(reason)s") \
    X(InvalidUUID, Invalid, 0, false, "nova.exception", "Expected a uuid but received %(uuid)s.") \
    X(InvalidID, Invalid, 0, false, "nova.exception", "Invalid ID received %(id)s.")             \
    X(InvalidName, Invalid, 0, false, "nova.exception",                                          \
      "An invalid 'name' value was provided. The name must be: %(reason)s")                      \
    X(InvalidMetadata, Invalid, 0, false, "nova.exception", "Invalid metadata: %(reason)s")      \
    X(InvalidMetadataSize, Invalid, 0, false, "nova.exception",                                  \
      "Invalid metadata size: %(reason)s")                                                       \
    X(InvalidKeypair, Invalid, 0, false, "nova.exception", "Keypair data is invalid: %(reason)s") \
    X(InvalidContentType, Invalid, 0, false, "nova.exception",                                   \
      "Invalid content type %(content_type)s.")                                                  \
    X(InvalidAPIVersionString, Invalid, 0, false, "nova.exception",                              \
      "API Version String %(version)s is of invalid format. Must be of format "                  \
      "MajorNum.MinorNum.")                                                                      \
    X(VersionNotFoundForAPIMethod, Invalid, 0, false, "nova.exception",                          \
      "API version %(version)s is not supported on this method.")                                \
    X(InvalidGlobalAPIVersion, Invalid, 0, false, "nova.exception",                              \
      "Version %(req_ver)s is not supported by the API. Minimum is %(min_ver)s and maximum "     \
      "is %(max_ver)s.")                                                                         \
    X(InvalidImageRef, Invalid, 0, false, "nova.exception", "Invalid image href %(image_href)s.") \
    X(ImageUnacceptable, Invalid, 0, false, "nova.exception",                                    \
      "Image %(image_id)s is unacceptable: %(reason)s")                                          \
    X(InvalidConfiguration, Invalid, 0, false, "nova.exception", "Configuration is Invalid.")    \
    X(InvalidAggregateAction, Invalid, 400, false, "nova.exception", "Unacceptable parameters.") \
    X(InvalidAggregateActionAdd, InvalidAggregateAction, 0, false, "nova.exception",             \
      "Cannot add host to aggregate %(aggregate_id)s. Reason: %(reason)s.")                      \
    X(InvalidAggregateActionDelete, InvalidAggregateAction, 0, false, "nova.exception",          \
      "Cannot remove host from aggregate %(aggregate_id)s. Reason: %(reason)s.")                 \
    X(InvalidAggregateActionUpdate, InvalidAggregateAction, 0, false, "nova.exception",          \
      "Cannot update aggregate %(aggregate_id)s. Reason: %(reason)s.")                           \
    X(InvalidAggregateActionUpdateMeta, InvalidAggregateAction, 0, false, "nova.exception",      \
      "Cannot update metadata of aggregate %(aggregate_id)s. Reason: %(reason)s.")               \
    X(InvalidQuotaValue, Invalid, 0, false, "nova.exception",                                    \
      "Change would make usage less than 0 for the following resources: %(unders)s")            \
    X(InvalidResourceClass, Invalid, 0, false, "nova.exception",                                 \
      "Resource class '%(resource_class)s' invalid.")                                            \
    X(InvalidInventory, Invalid, 0, false, "nova.exception",                                     \
      "Inventory for '%(resource_class)s' on resource provider '%(resource_provider)s' "         \
      "invalid.")                                                                                \
    X(InvalidMigrationState, Invalid, 0, false, "nova.exception",                                \
      "Migration %(migration_id)s state of instance %(instance_uuid)s is %(state)s. Cannot "     \
      "%(method)s while the migration is in this state.")                                        \
    /* --- instance state ------------------------------------------------------------------ */ \
    X(InstanceInvalidState, Invalid, 409, false, "nova.exception",                               \
      "Instance %(instance_uuid)s in %(attr)s %(state)s. Cannot %(method)s while the instance "  \
      "is in this state.")                                                                       \
    X(InstanceIsLocked, InstanceInvalidState, 0, false, "nova.exception",                        \
      "Instance %(instance_uuid)s is locked")                                                    \
    X(InstanceNotRunning, Invalid, 0, false, "nova.exception",                                   \
      "Instance %(instance_id)s is not running.")                                                \
    X(InstanceNotReady, Invalid, 0, false, "nova.exception", "Instance %(instance_id)s is not ready") \
    X(InstanceSuspendFailure, Invalid, 0, false, "nova.exception",                               \
      "Failed to suspend instance: %(reason)s")                                                  \
    X(InstanceResumeFailure, Invalid, 0, false, "nova.exception",                                \
      "Failed to resume instance: %(reason)s")                                                   \
    X(InstancePowerOnFailure, Invalid, 0, false, "nova.exception",                               \
      "Failed to power on instance: %(reason)s")                                                 \
    X(InstancePowerOffFailure, Invalid, 0, false, "nova.exception",                              \
      "Failed to power off instance: %(reason)s")                                                \
    X(InstanceRebootFailure, Invalid, 0, false, "nova.exception",                                \
      "Failed to reboot instance: %(reason)s")                                                   \
    X(InstanceTerminationFailure, Invalid, 0, false, "nova.exception",                           \
      "Failed to terminate instance: %(reason)s")                                                \
    X(InstanceDeployFailure, Invalid, 0, false, "nova.exception",                                \
      "Failed to deploy instance: %(reason)s")                                                   \
    X(InstanceUpdateConflict, NovaError, 409, true, "nova.exception",                            \
      "Conflict updating instance %(instance_uuid)s. Expected: %(expected)s. Actual: "           \
      "%(actual)s")                                                                              \
    X(UnknownInstanceUpdateConflict, InstanceUpdateConflict, 0, true, "nova.exception",          \
      "Conflict updating instance %(instance_uuid)s, but we were unable to determine the cause") \
    X(UnexpectedTaskStateError, InstanceUpdateConflict, 0, false, "nova.exception", "")          \
    X(UnexpectedDeletingTaskStateError, UnexpectedTaskStateError, 0, false, "nova.exception", "") \
    X(InstanceExists, NovaError, 409, false, "nova.exception", "Instance %(name)s already exists.") \
    /* --- not found ----------------------------------------------------------------------- */ \
    X(InstanceNotFound, NotFound, 0, false, "nova.exception",                                    \
      "Instance %(instance_id)s could not be found.")                                            \
    X(InstanceInfoCacheNotFound, NotFound, 0, false, "nova.exception",                           \
      "Info cache for instance %(instance_uuid)s could not be found.")                           \
    X(InstanceTagNotFound, NotFound, 0, false, "nova.exception",                                 \
      "Instance %(instance_id)s has no tag '%(tag)s'")                                           \
    X(InstanceActionNotFound, NovaError, 404, false, "nova.exception",                           \
      "Action for request_id %(request_id)s on instance %(instance_uuid)s not found")            \
    X(InstanceActionEventNotFound, NovaError, 404, false, "nova.exception",                      \
      "Event %(event)s not found for action id %(action_id)s")                                   \
    X(MarkerNotFound, NotFound, 0, false, "nova.exception", "Marker %(marker)s could not be found.") \
    X(FlavorNotFound, NotFound, 0, false, "nova.exception",                                      \
      "Flavor %(flavor_id)s could not be found.")                                                \
    X(FlavorNotFoundByName, FlavorNotFound, 0, false, "nova.exception",                          \
      "Flavor with name %(flavor_name)s could not be found.")                                    \
    X(FlavorAccessNotFound, NotFound, 0, false, "nova.exception",                                \
      "Flavor access not found for %(flavor_id)s / %(project_id)s combination.")                 \
    X(FlavorExtraSpecsNotFound, NotFound, 0, false, "nova.exception",                            \
      "Flavor %(flavor_id)s has no extra specs with key %(extra_specs_key)s.")                   \
    X(ImageNotFound, NotFound, 0, false, "nova.exception", "Image %(image_id)s could not be found.") \
    X(ImageNotAuthorized, NovaError, 0, false, "nova.exception",                                \
      "Not authorized for image %(image_id)s.")                                                  \
    X(ImageBadRequest, Invalid, 0, false, "nova.exception",                                      \
      "Request of image %(image_id)s got BadRequest response: %(response)s")                     \
    X(GlanceConnectionFailed, NovaError, 0, true, "nova.exception",                              \
      "Connection to glance host %(server)s failed: %(reason)s")                                 \
    X(KeypairNotFound, NotFound, 0, false, "nova.exception",                                     \
      "Keypair %(name)s not found for user %(user_id)s")                                         \
    X(ServiceNotFound, NotFound, 0, false, "nova.exception",                                     \
      "Service %(service_id)s could not be found.")                                              \
    X(HostNotFound, NotFound, 0, false, "nova.exception", "Host %(host)s could not be found.")   \
    X(ComputeHostNotFound, HostNotFound, 0, false, "nova.exception",                             \
      "Compute host %(host)s could not be found.")                                               \
    X(HostBinaryNotFound, NotFound, 0, false, "nova.exception",                                  \
      "Could not find binary %(binary)s on host %(host)s.")                                      \
    X(MigrationNotFound, NotFound, 0, false, "nova.exception",                                   \
      "Migration %(migration_id)s could not be found.")                                          \
    X(MigrationNotFoundByStatus, MigrationNotFound, 0, false, "nova.exception",                  \
      "Migration not found for instance %(instance_id)s with status %(status)s.")                \
    X(MigrationNotFoundForInstance, MigrationNotFound, 0, false, "nova.exception",               \
      "Migration %(migration_id)s not found for instance %(instance_id)s")                       \
    X(CellMappingNotFound, NotFound, 0, false, "nova.exception", "Cell %(uuid)s has no mapping.") \
    X(InstanceMappingNotFound, NotFound, 0, false, "nova.exception",                             \
      "Instance %(uuid)s has no mapping to a cell.")                                             \
    X(HostMappingNotFound, Invalid, 0, false, "nova.exception",                                  \
      "Host '%(name)s' is not mapped to any cell")                                               \
    X(HostMappingExists, Invalid, 0, false, "nova.exception",                                    \
      "Host '%(name)s' mapping already exists")                                                  \
    X(BuildRequestNotFound, NotFound, 0, false, "nova.exception",                                \
      "BuildRequest not found for instance %(uuid)s")                                            \
    X(RequestSpecNotFound, NotFound, 0, false, "nova.exception",                                 \
      "RequestSpec not found for instance %(instance_uuid)s")                                    \
    X(InstanceGroupNotFound, NotFound, 0, false, "nova.exception",                               \
      "Instance group %(group_uuid)s could not be found.")                                       \
    X(AggregateNotFound, NotFound, 0, false, "nova.exception",                                   \
      "Aggregate %(aggregate_id)s could not be found.")                                          \
    X(AggregateHostNotFound, NotFound, 0, false, "nova.exception",                               \
      "Aggregate %(aggregate_id)s has no host %(host)s.")                                        \
    X(AggregateMetadataNotFound, NotFound, 0, false, "nova.exception",                           \
      "Aggregate %(aggregate_id)s has no metadata with key %(metadata_key)s.")                   \
    X(QuotaNotFound, NotFound, 0, false, "nova.exception", "Quota could not be found")           \
    X(QuotaResourceUnknown, QuotaNotFound, 0, false, "nova.exception",                           \
      "Unknown quota resources %(unknown)s.")                                                    \
    X(ProjectQuotaNotFound, QuotaNotFound, 0, false, "nova.exception",                           \
      "Quota for project %(project_id)s could not be found.")                                    \
    X(ResourceProviderNotFound, NotFound, 0, false, "nova.exception",                            \
      "No such resource provider %(name_or_uuid)s.")                                             \
    X(SchedulerHostFilterNotFound, NotFound, 0, false, "nova.exception",                         \
      "Scheduler Host Filter %(filter_name)s could not be found.")                             \
    X(ClassNotFound, NotFound, 0, false, "nova.exception",                                       \
      "Class %(class_name)s could not be found: %(exception)s")                                \
    X(ConsoleNotAvailable, NotFound, 0, false, "nova.exception",                                 \
      "Guest does not have a console available.")                                                \
    /* --- conflicts ----------------------------------------------------------------------- */ \
    X(FlavorExists, NovaError, 409, false, "nova.exception",                                     \
      "Flavor with name %(name)s already exists.")                                               \
    X(FlavorIdExists, NovaError, 409, false, "nova.exception",                                   \
      "Flavor with ID %(flavor_id)s already exists.")                                            \
    X(FlavorAccessExists, NovaError, 409, false, "nova.exception",                               \
      "Flavor access already exists for flavor %(flavor_id)s and project %(project_id)s "        \
      "combination.")                                                                            \
    X(KeyPairExists, NovaError, 409, false, "nova.exception", "Key pair '%(key_name)s' already exists.") \
    X(ServiceBinaryExists, NovaError, 409, false, "nova.exception",                              \
      "Service with host %(host)s binary %(binary)s exists.")                                    \
    X(ServiceTopicExists, NovaError, 409, false, "nova.exception",                               \
      "Service with host %(host)s topic %(topic)s exists.")                                      \
    X(AggregateNameExists, NovaError, 409, false, "nova.exception",                              \
      "Aggregate %(aggregate_name)s already exists.")                                            \
    X(AggregateHostExists, NovaError, 409, false, "nova.exception",                              \
      "Aggregate %(aggregate_id)s already has host %(host)s.")                                   \
    X(InstanceGroupIdExists, NovaError, 409, false, "nova.exception",                            \
      "Instance group %(group_uuid)s already exists.")                                           \
    X(ComputeServiceInUse, NovaError, 409, false, "nova.exception",                              \
      "Compute service of %(host)s is still in use.")                                            \
    X(ResourceProviderInUse, NovaError, 409, false, "nova.exception",                            \
      "Resource provider has allocations.")                                                      \
    X(ObjectActionError, NovaError, 0, false, "nova.exception",                                  \
      "Object action %(action)s failed because: %(reason)s")                                     \
    X(IncompatibleObjectVersion, NovaError, 0, false, "oslo_versionedobjects.exception",        \
      "Version %(objver)s of %(objname)s is not supported, supported version is %(supported)s") \
    X(UnsupportedObjectError, NovaError, 0, false, "oslo_versionedobjects.exception",           \
      "Unsupported object type %(objtype)s")                                                     \
    X(AttributeError, NovaError, 0, false, "builtins", "%(reason)s")                             \
    X(QuotaExists, NovaError, 0, false, "nova.exception",                                        \
      "Quota exists for project %(project_id)s, resource %(resource)s")                        \
    X(ConcurrentUpdateDetected, NovaError, 409, true, "nova.exception",                          \
      "Another thread concurrently updated the data. Please retry your update")                  \
    X(ResourceProviderUpdateConflict, NovaError, 409, true, "nova.exception",                    \
      "A conflict was encountered attempting to update resource provider %(uuid)s (generation "  \
      "%(generation)d): %(error)s")                                                              \
    X(InventoryInUse, InvalidInventory, 0, false, "nova.exception", "")                         \
    X(AllocationUpdateFailed, NovaError, 0, false, "nova.exception",                             \
      "Failed to update allocations for consumer %(consumer_uuid)s. Error: %(error)s")         \
    X(AllocationMoveFailed, NovaError, 0, false, "nova.exception",                               \
      "Failed to move allocations from consumer %(source_consumer)s to consumer "              \
      "%(target_consumer)s. Error: %(error)s")                                                 \
    /* --- quotas ---------------------------------------------------------------------------- */ \
    X(OverQuota, NovaError, 413, false, "nova.exception",                                        \
      "Quota exceeded for resources: %(overs)s")                                                 \
    X(TooManyInstances, OverQuota, 0, false, "nova.exception",                                   \
      "Quota exceeded for %(overs)s: Requested %(req)s, but already used %(used)s of "           \
      "%(allowed)s %(overs)s")                                                                   \
    X(MetadataLimitExceeded, OverQuota, 0, false, "nova.exception",                              \
      "Maximum number of metadata items exceeds %(allowed)d")                                    \
    X(KeypairLimitExceeded, OverQuota, 0, false, "nova.exception",                               \
      "Quota exceeded, too many key pairs.")                                                     \
    X(ServerGroupLimitExceeded, OverQuota, 0, false, "nova.exception",                           \
      "Quota exceeded, too many server groups.")                                                 \
    X(GroupMemberLimitExceeded, OverQuota, 0, false, "nova.exception",                           \
      "Quota exceeded, too many servers in group")                                               \
    X(TooOldComputeService, Invalid, 0, false, "nova.exception",                               \
      "Current Nova version does not support computes older than "                               \
      "%(oldest_supported_version)s but the minimum compute service level in your %(scope)s "   \
      "is %(min_service_level)d and the oldest supported service level is "                      \
      "%(oldest_supported_service)d.")                                                           \
    /* --- scheduling, build, resize ------------------------------------------------------- */ \
    X(NoValidHost, NovaError, 0, true, "nova.exception", "No valid host was found. %(reason)s")  \
    X(MaxRetriesExceeded, NoValidHost, 0, false, "nova.exception",                               \
      "Exceeded maximum number of retries. %(reason)s")                                          \
    X(SelectionObjectsWithOldRPCVersionNotSupported, NovaError, 0, false, "nova.exception",      \
      "Requests for Selection objects with alternates are not supported in "                     \
      "select_destinations() before RPC version 4.5; version %(version)s requested.")            \
    X(ComputeResourcesUnavailable, NovaError, 0, true, "nova.exception",                         \
      "Insufficient compute resources: %(reason)s.")                                             \
    X(BuildAbortException, NovaError, 0, false, "nova.exception",                                \
      "Build of instance %(instance_uuid)s aborted: %(reason)s")                                 \
    X(RescheduledException, NovaError, 0, true, "nova.exception",                                \
      "Build of instance %(instance_uuid)s was re-scheduled: %(reason)s")                        \
    X(GroupAffinityViolation, NovaError, 0, true, "nova.exception",                              \
      "%(policy)s instance group policy was violated")                                           \
    X(CannotResizeToSameFlavor, NovaError, 400, false, "nova.exception",                         \
      "When resizing, instances must change flavor!")                                            \
    X(ResizeError, NovaError, 0, false, "nova.exception", "Resize error: %(reason)s")            \
    X(InstanceFaultRollback, NovaError, 0, false, "nova.exception",                              \
      "Instance rollback performed due to: %(inner_exception)s")                                 \
    X(MigrationError, NovaError, 0, false, "nova.exception", "Migration error: %(reason)s")      \
    X(MigrationPreCheckError, MigrationError, 0, false, "nova.exception",                        \
      "Migration pre-check error: %(reason)s")                                                   \
    X(UnableToMigrateToSelf, Invalid, 0, false, "nova.exception",                                \
      "Unable to migrate instance (%(instance_id)s) to current host (%(host)s).")                \
    X(FlavorMemoryTooSmall, NovaError, 400, false, "nova.exception",                             \
      "Flavor's memory is too small for requested image.")                                       \
    X(FlavorDiskTooSmall, NovaError, 400, false, "nova.exception",                               \
      "The created instance's disk would be too small.")                                         \
    X(ImageNotActive, NovaError, 400, false, "nova.exception", "Image %(image_id)s is not active.") \
    X(ServiceUnavailable, Invalid, 0, true, "nova.exception", "Service is unavailable at this time.") \
    X(ComputeServiceUnavailable, ServiceUnavailable, 0, true, "nova.exception",                  \
      "Compute service of %(host)s is unavailable at this time.")                                \
    X(HypervisorUnavailable, NovaError, 0, true, "nova.exception",                               \
      "Connection to the hypervisor is broken on host")                                          \
    X(InternalError, NovaError, 0, false, "nova.exception", "%(err)s")                           \
    X(ConsoleLogOutputException, NovaError, 0, false, "nova.exception",                          \
      "Console log output could not be retrieved for instance %(instance_id)s. Reason: "         \
      "%(reason)s")                                                                              \
    X(ServiceTooOld, Invalid, 0, false, "nova.exception",                                        \
      "This service is older (v%(thisver)i) than the minimum (v%(minver)i) version of the "      \
      "rest of the deployment. Unable to continue.")                                             \
    /* --- Python builtins that Nova services raise across RPC --------------------------- */   \
    X(NotImplementedError, NovaError, 501, false, "builtins", "%(reason)s")                      \
    /* --- oslo.messaging (rpc/) --------------------------------------------------------- */   \
    X(MessagingException, NovaError, 500, false, "oslo_messaging.exceptions", "%(reason)s")      \
    X(MessagingTimeout, MessagingException, 504, true, "oslo_messaging.exceptions", "%(reason)s") \
    X(MessageDeliveryFailure, MessagingException, 503, true, "oslo_messaging.exceptions",        \
      "%(reason)s")                                                                              \
    X(InvalidTarget, MessagingException, 0, false, "oslo_messaging.exceptions",                  \
      "%(reason)s: %(target)s")                                                                  \
    X(RPCVersionCapError, MessagingException, 0, false, "oslo_messaging.rpc.client",             \
      "Requested message version, %(version)s is incompatible.  It needs to be equal in major "  \
      "version and less than or equal in minor version as the specified version cap "            \
      "%(version_cap)s.")                                                                        \
    X(UnsupportedVersion, MessagingException, 0, false, "oslo_messaging.rpc.dispatcher",         \
      "Endpoint does not support RPC version %(version)s. Attempted method: %(method)s")         \
    X(NoSuchMethod, MessagingException, 0, false, "oslo_messaging.rpc.dispatcher",               \
      "Endpoint does not support RPC method %(method)s")                                         \
    X(RemoteError, MessagingException, 0, false, "oslo_messaging.rpc.client",                    \
      "Remote error: %(exc_type)s %(value)s\n%(traceback)s.")                                    \
    /* --- persistence (oslo.db's names) ------------------------------------------------- */   \
    X(DBError, NovaError, 500, false, "oslo_db.exception", "%(reason)s")                         \
    X(DBConnectionError, DBError, 503, true, "oslo_db.exception", "")                            \
    X(DBDeadlock, DBError, 0, true, "oslo_db.exception", "")                                     \
    X(DBDuplicateEntry, DBError, 409, false, "oslo_db.exception", "")                            \
    /* --- configuration (oslo.config's name) -------------------------------------------- */   \
    X(ConfigFileValueError, NovaError, 0, false, "oslo_config.cfg", "%(reason)s")
