/* A shared object that is not a casebridge plugin: no entry symbol. */
int not_a_casebridge_plugin(int x);
int not_a_casebridge_plugin(int x) { return x + 1; }
