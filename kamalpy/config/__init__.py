"""Read deploy.yml (+ deploy.<dest>.yml), validate, resolve into frozen objects."""
