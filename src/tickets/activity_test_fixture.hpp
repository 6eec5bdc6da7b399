#pragma once

// For the interaction and ticket service tests: a migrated database of the engine under test
// with an admin, two agents, a portal account's principal, customers, and the services.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "companies/company_service.hpp"
#include "core/ids.hpp"
#include "core/principal.hpp"
#include "customers/customer_service.hpp"
#include "db/database.hpp"
#include "db/test_database.hpp"
#include "interactions/interaction_service.hpp"
#include "tickets/ticket_service.hpp"

namespace rapport::tickets::testing {

class ActivityServiceTest : public ::testing::TestWithParam<db::Engine> {
 protected:
  void SetUp() override {
    RAPPORT_SKIP_UNLESS_ENGINE(GetParam());
    database_ = db::test::OpenMigrated(GetParam(), {.pool_size = 2});
    companies_ = std::make_unique<companies::CompanyService>(*database_);
    customers_ = std::make_unique<customers::CustomerService>(*database_, *companies_);
    interactions_ = std::make_unique<interactions::InteractionService>(*database_, *customers_);
    tickets_ = std::make_unique<TicketService>(*database_, *customers_, *interactions_);
    admin_ = Staff("admin", core::Role::kAdmin);
    agent_ = Staff("agent", core::Role::kAgent);
    other_agent_ = Staff("other", core::Role::kAgent);
    mine_ = NewCustomer("Portal Customer", agent_.id);
    theirs_ = NewCustomer("Someone Else", other_agent_.id);
    portal_ = {core::Principal::Kind::kPortal, core::NewId(), core::Role::kAgent, mine_};
  }

  // A staff user in the users table, as a principal.
  core::Principal Staff(const std::string& name, core::Role role) {
    return db::test::AddUser(*database_, name, role);
  }

  std::string NewCustomer(const std::string& name, const std::string& owner_id) {
    customers::CustomerInput input;
    input.name.present = true;
    input.name.value = name;
    input.owner_id.present = true;
    input.owner_id.value = owner_id;
    auto customer = customers_->Create(admin_, input);
    EXPECT_TRUE(customer) << customer.error().detail;
    return customer ? customer->id : "";
  }

  // The first page, newest first.
  static core::PageRequest FirstPage() {
    core::PageRequest page;
    page.sort = {{"created_at", true}, {"id", true}};
    return page;
  }

  template <class T>
  static core::Field<T> Given(T value) {
    core::Field<T> field;
    field.present = true;
    field.value = std::move(value);
    return field;
  }

  std::unique_ptr<db::Database> database_;
  std::unique_ptr<companies::CompanyService> companies_;
  std::unique_ptr<customers::CustomerService> customers_;
  std::unique_ptr<interactions::InteractionService> interactions_;
  std::unique_ptr<TicketService> tickets_;
  core::Principal admin_;
  core::Principal agent_;
  core::Principal other_agent_;
  core::Principal portal_;  // the portal account of customer `mine_` (owned by agent_)
  std::string mine_;
  std::string theirs_;
};

}  // namespace rapport::tickets::testing
