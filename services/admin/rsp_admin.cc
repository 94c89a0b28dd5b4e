// rsp_admin: the MEF and MAF admin CLI (usage: services/admin/README.md, or rsp_admin --help).
#include <iostream>

#include "common/process_defaults.h"
#include "services/admin/admin_commands.h"

int main(int argc, char** argv) {
  onem2m::ApplyProcessDefaults();
  return onem2m::admin::RunAdminCli(argc, argv, std::cout, std::cerr);
}
