#pragma once

#include "http/router.hpp"
#include "notifications/notification_service.hpp"

namespace rapport::notifications {

// /api/v1/notifications (list), /:id, /:id/read, /read-all and /stream (Server-Sent
// Events). `notifications` must outlive the router.
void RegisterNotificationRoutes(http::Router& router, NotificationService& notifications);

}  // namespace rapport::notifications
