package io.jvirt.node;
