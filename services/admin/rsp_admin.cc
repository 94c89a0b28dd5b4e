// rsp_admin: the MEF admin CLI (usage: services/admin/admin_commands.h, or rsp_admin --help).
#include <iostream>

#include "common/process_defaults.h"
#include "services/admin/admin_commands.h"

int main(int argc, char** argv) {
  onem2m::ApplyProcessDefaults();
  return onem2m::admin::RunAdminCli(argc, argv, std::cout, std::cerr);
}
