/* placeholder until the service is wired */
int main(void) { return 1; }
