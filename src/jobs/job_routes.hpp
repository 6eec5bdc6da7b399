#pragma once

#include "http/router.hpp"
#include "jobs/job_service.hpp"

namespace rapport::jobs {

// GET /api/v1/jobs, GET /api/v1/jobs/:id, POST /api/v1/jobs/:id/retry (admin only).
// `jobs` must outlive the router.
void RegisterJobRoutes(http::Router& router, JobService& jobs);

}  // namespace rapport::jobs
