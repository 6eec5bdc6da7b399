#pragma once

#include <cstddef>

#include "http/router.hpp"
#include "transfer/transfer_service.hpp"

namespace rapport::transfer {

struct TransferRouteOptions {
  // The largest import body taken over HTTP (RAPPORT_MAX_IMPORT_BYTES). RESTinio holds a
  // request body in memory before any handler runs, so this is also what one import costs
  // in memory; the server's read limit must be at least this.
  std::size_t max_import_bytes = 64 << 20;
};

// POST /api/v1/import/customers, GET /api/v1/export/<resource> for every exportable
// resource, POST /api/v1/customers/batch. `transfer` must outlive the router.
void RegisterTransferRoutes(http::Router& router, TransferService& transfer,
                            const TransferRouteOptions& options);

}  // namespace rapport::transfer
